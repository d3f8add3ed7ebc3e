package schema

import (
	"fmt"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
)

// Errors of the server's state (read-only, out of space) are told from
// errors of the statement, which stay the layer's.
func TestServerConditions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err                  *gomysql.MySQLError
		readOnly, outOfSpace bool
	}{
		{&gomysql.MySQLError{Number: 1290, Message: "The MariaDB server is running with the --read-only option so it cannot execute this statement"}, true, false},
		{&gomysql.MySQLError{Number: 1836, Message: "Running in read-only mode"}, true, false},
		{&gomysql.MySQLError{Number: 1114, Message: "The table 'f' is full"}, false, true},
		{&gomysql.MySQLError{Number: 1005, Message: "Can't create table `d`.`t` (errno: 135 \"No more room in record file\")"}, false, true},
		{&gomysql.MySQLError{Number: 1005, Message: "Can't create table `d`.`t` (errno: 28 \"No space left on device\")"}, false, true},
		{&gomysql.MySQLError{Number: 1005, Message: "Can't create table `d`.`t` (errno: 150 \"Foreign key constraint is incorrectly formed\")"}, false, false},
		{&gomysql.MySQLError{Number: 1064, Message: "You have an error in your SQL syntax"}, false, false},
	} {
		err := fmt.Errorf("statement 1: %w", tc.err)
		if got := readOnly(err); got != tc.readOnly {
			t.Errorf("readOnly(%v) = %v, want %v", err, got, tc.readOnly)
		}
		if got := outOfSpace(err); got != tc.outOfSpace {
			t.Errorf("outOfSpace(%v) = %v, want %v", err, got, tc.outOfSpace)
		}
	}
}
