package seed

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// tables is a small tenant: reference districts, generated members that
// reference them and each other, and fees unique per member and year.
func tables() []Table {
	return []Table{
		{Name: "districts", Key: []string{"id"}, Columns: []Column{
			{Name: "id", Kind: Int, Min: 0, Max: 65535},
			{Name: "name_en", Kind: String, Size: 64},
		}},
		{Name: "members", Key: []string{"id"}, Unique: [][]string{{"membership_no"}},
			ForeignKeys: []ForeignKey{
				{Columns: []string{"district_id"}, RefTable: "districts", RefColumns: []string{"id"}},
				{Columns: []string{"mentor_id"}, RefTable: "members", RefColumns: []string{"id"}},
			},
			Columns: []Column{
				{Name: "id", Kind: Int, Min: 0, Max: 1<<32 - 1, AutoIncrement: true},
				{Name: "district_id", Kind: Int, Min: 0, Max: 65535},
				{Name: "mentor_id", Kind: Int, Min: 0, Max: 1<<32 - 1, Nullable: true},
				{Name: "membership_no", Kind: String, Size: 16},
				{Name: "full_name", Kind: String, Size: 12},
				{Name: "full_name_ne", Kind: String, Size: 191, Nullable: true},
				{Name: "gender", Kind: Enum, Values: []string{"female", "male", "other"}, Nullable: true},
				{Name: "status", Kind: Enum, Values: []string{"pending", "active"}, Default: ptr("pending")},
				{Name: "born", Kind: Date},
				{Name: "joined", Kind: Date, Nullable: true},
				{Name: "label", Kind: String, Size: 100, Nullable: true},
			}},
		{Name: "fees", Key: []string{"member_id", "year"},
			ForeignKeys: []ForeignKey{{Columns: []string{"member_id"}, RefTable: "members", RefColumns: []string{"id"}}},
			Columns: []Column{
				{Name: "member_id", Kind: Int, Min: 0, Max: 1<<32 - 1},
				{Name: "year", Kind: Int, Min: 0, Max: 65535},
				{Name: "amount", Kind: Decimal, Precision: 6, Scale: 2},
			}},
	}
}

func ptr(s string) *string { return &s }

const demo = `members:
  perScale: 1
  columns:
    mentor_id: {ref: members, nulls: 0.3}
    membership_no: {seq: "M-%05d"}
    full_name: person.name
    full_name_ne: person.name_ne
    gender: person.gender
    born: {date: [1950-01-01, 2004-12-31]}
    joined: {after: {column: born, days: [6570, 7000]}}
    label: {format: "{full_name} of {district_id.name_en} ({n})"}
fees:
  perScale: 2
  columns:
    year: {int: [2018, 2025]}
    amount: {decimal: [100, 500]}
`

func existing() map[string]*Existing {
	d := &Existing{Columns: []string{"id", "name_en"}}
	for i, n := range []string{"Taplejung", "Kathmandu", "Kailali"} {
		d.Rows = append(d.Rows, []*string{ptr(fmt.Sprint(i + 1)), ptr(n)})
	}
	return map[string]*Existing{"districts": d}
}

func compose(t *testing.T, files ...string) *Spec {
	t.Helper()
	var fs []File
	for i, f := range files {
		fs = append(fs, File{Layer: fmt.Sprintf("layer%d", i), Path: fmt.Sprintf("layer%d/demo.yaml", i), Data: []byte(f)})
	}
	s, err := Compose(fs, tables())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGenerateIsDeterministicAndConsistent(t *testing.T) {
	s := compose(t, demo)
	if got, want := s.Tables(), []string{"members", "fees"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("order: %v, want %v", got, want)
	}
	a, err := s.Generate(7, 200, existing())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Generate(7, 200, existing())
	c, _ := s.Generate(8, 200, existing())
	if !reflect.DeepEqual(text(a), text(b)) {
		t.Error("the same seed gave other rows")
	}
	if reflect.DeepEqual(text(a), text(c)) {
		t.Error("another seed gave the same rows")
	}
	members, fees := a[0], a[1]
	if len(members.Rows) != 200 || len(fees.Rows) != 400 {
		t.Fatalf("rows: %d members, %d fees", len(members.Rows), len(fees.Rows))
	}
	col := func(r *Rows, name string) int {
		for i, c := range r.Columns {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	ids := map[string]bool{}
	nos := map[string]bool{}
	mentors := 0
	for i, row := range members.Rows {
		id := *row[col(members, "id")]
		if id != fmt.Sprint(i+1) {
			t.Errorf("row %d: id %s, want %d", i, id, i+1)
		}
		if d := *row[col(members, "district_id")]; d < "1" || d > "3" {
			t.Errorf("row %d: district_id %s references no district", i, d)
		}
		if m := row[col(members, "mentor_id")]; m != nil {
			mentors++
			if !ids[*m] {
				t.Errorf("row %d: mentor_id %s is not an earlier member", i, *m)
			}
		}
		ids[id] = true
		no := *row[col(members, "membership_no")]
		if nos[no] || !strings.HasPrefix(no, "M-") {
			t.Errorf("row %d: membership_no %s", i, no)
		}
		nos[no] = true
		if name := *row[col(members, "full_name")]; len([]rune(name)) > 12 {
			t.Errorf("row %d: full_name %q is longer than its column", i, name)
		}
		if g := *row[col(members, "gender")]; g != "female" && g != "male" {
			t.Errorf("row %d: gender %q", i, g)
		}
		if st := *row[col(members, "status")]; st != "pending" {
			t.Errorf("row %d: status %q, want the default", i, st)
		}
		born, joined := *row[col(members, "born")], *row[col(members, "joined")]
		if joined <= born {
			t.Errorf("row %d: joined %s before born %s", i, joined, born)
		}
		label := *row[col(members, "label")]
		if !strings.HasSuffix(label, fmt.Sprintf("(%d)", i+1)) || !strings.Contains(label, " of ") {
			t.Errorf("row %d: label %q", i, label)
		}
	}
	if mentors < 100 || mentors > 170 {
		t.Errorf("%d of 200 members have a mentor; nulls: 0.3 wants about 140", mentors)
	}
	pairs := map[string]bool{}
	for i, row := range fees.Rows {
		k := *row[0] + "/" + *row[1]
		if pairs[k] || !ids[*row[0]] {
			t.Errorf("fee %d: key %s repeated or member unknown", i, k)
		}
		pairs[k] = true
		if a := *row[2]; len(a) < 6 || a[len(a)-3] != '.' {
			t.Errorf("fee %d: amount %q is not a decimal with 2 places", i, a)
		}
	}
}

func text(rs []*Rows) []string {
	var out []string
	for _, r := range rs {
		for _, row := range r.Rows {
			var b strings.Builder
			for _, v := range row {
				if v == nil {
					b.WriteString("NULL|")
				} else {
					b.WriteString(*v + "|")
				}
			}
			out = append(out, r.Table+":"+b.String())
		}
	}
	return out
}

// Rows a table keeps (reference rows) are referenced, and keys are
// numbered after them and never reused.
func TestGenerateAfterKeptRows(t *testing.T) {
	s := compose(t, demo)
	ex := existing()
	ex["members"] = &Existing{Columns: []string{"id", "membership_no"}, Rows: [][]*string{{ptr("40"), ptr("M-00001")}}}
	rows, err := s.Generate(1, 3, ex)
	if err != nil {
		t.Fatal(err)
	}
	if got := *rows[0].Rows[0][0]; got != "41" {
		t.Errorf("first id %s, want 41", got)
	}
	for _, row := range rows[0].Rows {
		if *row[3] == "M-00001" {
			t.Errorf("membership_no M-00001 of a kept row given again")
		}
	}
}

func TestComposeLaterLayerOverrides(t *testing.T) {
	s := compose(t, demo, "members:\n  perScale: 2\n  columns:\n    membership_no: {seq: \"NC-%05d\"}\n")
	if n := s.Count("members", 10); n != 20 {
		t.Errorf("members at scale 10: %d, want 20", n)
	}
	rows, err := s.Generate(1, 1, existing())
	if err != nil {
		t.Fatal(err)
	}
	if no := *rows[0].Rows[0][3]; no != "NC-00001" {
		t.Errorf("membership_no %q, want the later layer's NC-00001", no)
	}
}

func TestComposeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown table", "ghosts:\n  rows: 1\n", "layer0/demo.yaml:1:1: generators for table \"ghosts\""},
		{"unknown column", "members:\n  columns:\n    nmae: person.name\n", "layer0/demo.yaml:3:5: unknown column \"nmae\""},
		{"unknown key", "members:\n  count: 3\n", "layer0/demo.yaml:2:3: unknown key \"count\""},
		{"negative rows", "members:\n  rows: -1\n", "layer0/demo.yaml:2:9: rows of members"},
		{"unknown generator", "members:\n  columns:\n    full_name: person.nickname\n", "layer0/demo.yaml:3:16: column full_name: unknown generator \"person.nickname\""},
		{"wrong type", "fees:\n  columns:\n    year: person.name\n", "column year: generator person.name makes no value"},
		{"out of range", "fees:\n  columns:\n    year: {int: [1, 70000]}\n", "layer0/demo.yaml:3:17: column year: int: [1, 70000] is out of the column's range [0, 65535]"},
		{"not an enum value", "members:\n  columns:\n    status: {oneof: [active, retired]}\n", "column status: oneof: \"retired\" is not one of pending, active"},
		{"null on not null", "members:\n  columns:\n    full_name: {const: x, nulls: 0.5}\n", "column full_name: nulls: the column is NOT NULL"},
		{"too long", "members:\n  columns:\n    full_name: {const: Bishwokarma Pariyar}\n", "is longer than 12 characters"},
		{"decimal too wide", "fees:\n  columns:\n    amount: {decimal: [0, 100000]}\n", "does not fit decimal(6, 2)"},
		{"copy of no key", "members:\n  columns:\n    label: {copy: full_name.id}\n", "full_name is not a single-column foreign key"},
		{"format before", "members:\n  columns:\n    label: {format: \"{joined}\"}\n    joined: {date: [2000-01-01, 2001-01-01]}\n", "{joined} is not a column set before this one"},
		{"ref elsewhere", "members:\n  columns:\n    district_id: {ref: fees}\n", "ref: members has no foreign key from district_id to \"fees\""},
		{"two generators", "members:\n  columns:\n    label: {const: a, seq: \"%d\"}\n", "one generator per column"},
		{"seq without number", "members:\n  columns:\n    membership_no: {seq: M-1}\n", "seq: want one %d"},
		{"not a mapping", "- members\n", "layer0/demo.yaml:1:1: want a mapping of table"},
		{"bad yaml", "members: [\n", "layer0/demo.yaml: yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compose([]File{{Layer: "layer0", Path: "layer0/demo.yaml", Data: []byte(tc.yaml)}}, tables())
			var es Errors
			if !errors.As(err, &es) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestGenerateUniqueExhausted(t *testing.T) {
	s := compose(t, "fees:\n  rows: 20\n  columns:\n    year: {int: [2020, 2021]}\nmembers:\n  rows: 3\n")
	_, err := s.Generate(1, 0, existing())
	if err == nil || !strings.Contains(err.Error(), "no unique row") {
		t.Fatalf("20 fees of 3 members in 2 years: %v, want no unique row", err)
	}
}

func TestGenerateNoParent(t *testing.T) {
	s := compose(t, "members:\n  rows: 1\n")
	_, err := s.Generate(1, 0, map[string]*Existing{})
	if err == nil || !strings.Contains(err.Error(), "no row of districts to reference") {
		t.Fatalf("members without districts: %v", err)
	}
}

func TestGenerateBounded(t *testing.T) {
	s := compose(t, "members:\n  perScale: 1000\n")
	for _, scale := range []float64{MaxRows, math.Inf(1), math.NaN()} {
		if _, err := s.Generate(1, scale, existing()); err == nil || !strings.Contains(err.Error(), "lower --scale") {
			t.Errorf("scale %v: %v", scale, err)
		}
	}
}

func TestStatements(t *testing.T) {
	s := compose(t, demo)
	rows, err := s.Generate(1, 1200, existing())
	if err != nil {
		t.Fatal(err)
	}
	ins := slices.Collect(Inserts("tenant_db", rows[0]))
	total := 0
	for _, st := range ins {
		total += st.Rows
		if n := strings.Count(st.SQL, "?"); n != len(st.Args) || n > maxArgs || st.Rows > batchRows {
			t.Errorf("insert of %d rows with %d placeholders, %d args", st.Rows, n, len(st.Args))
		}
		if !strings.HasPrefix(st.SQL, "INSERT INTO `tenant_db`.`members` (`id`, `district_id`") {
			t.Errorf("insert: %.80s", st.SQL)
		}
	}
	if total != 1200 || len(ins) != 3 {
		t.Errorf("%d rows in %d statements, want 1200 in 3", total, len(ins))
	}
	keys := [][]string{{"1"}, {"2"}, {"3"}}
	clear := s.Clear("", "members", keys)
	if len(clear) != 2 || clear[0].SQL != "UPDATE `members` SET `mentor_id` = NULL WHERE `id` IN (?, ?, ?)" ||
		clear[1].SQL != "DELETE FROM `members` WHERE `id` IN (?, ?, ?)" || !reflect.DeepEqual(clear[1].Args, []any{"3", "2", "1"}) {
		t.Errorf("clear: %+v", clear)
	}
	del := Deletes("", "fees", []string{"member_id", "year"}, [][]string{{"1", "2020"}, {"2", "2021"}})
	if len(del) != 1 || del[0].SQL != "DELETE FROM `fees` WHERE (`member_id`, `year`) IN ((?, ?), (?, ?))" {
		t.Errorf("delete: %+v", del)
	}
	all := s.Empty("db", "members", 3)
	if len(all) != 2 || all[0].SQL != "UPDATE `db`.`members` SET `mentor_id` = NULL" || all[1].SQL != "DELETE FROM `db`.`members`" || all[1].Rows != 3 {
		t.Errorf("clear all: %+v", all)
	}
	if q := Select("db", "fees", []string{"member_id", "amount"}, []string{"member_id", "year"}); q != "SELECT `member_id`, `amount` FROM `db`.`fees` ORDER BY `member_id`, `year`" {
		t.Errorf("select: %s", q)
	}
}
