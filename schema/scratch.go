package schema

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Scratch databases (the desired schema applied to an empty database, see
// DesiredHash) are named landlord_dev_<host>_<pid>_<unix seconds>_<random>:
// <host> is a hash of the host name. A scratch database is dropped after
// use; one that a killed process or a dropped connection left behind is
// collected by CollectScratch once its owner is gone or it is older than
// any scratch database can legitimately live.
const scratchPrefix = "landlord_dev_"

// hostTag is the short hash of this machine's host name in scratch names.
var hostTag = func() string {
	h, _ := os.Hostname()
	sum := sha256.Sum256([]byte(h))
	return hex.EncodeToString(sum[:3])
}()

func scratchName(now time.Time) string {
	suffix := make([]byte, 3)
	rand.Read(suffix)
	return fmt.Sprintf("%s%s_%d_%d_%s", scratchPrefix, hostTag, os.Getpid(), now.Unix(), hex.EncodeToString(suffix))
}

// scratchOwner parses a scratch name; ok is false for other names
// (including the unnamed-owner scratch databases of earlier versions).
func scratchOwner(name string) (host string, pid int, created time.Time, ok bool) {
	rest, found := strings.CutPrefix(name, scratchPrefix)
	if !found {
		return "", 0, time.Time{}, false
	}
	parts := strings.Split(rest, "_")
	if len(parts) != 4 {
		return "", 0, time.Time{}, false
	}
	pid, err1 := strconv.Atoi(parts[1])
	secs, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, time.Time{}, false
	}
	return parts[0], pid, time.Unix(secs, 0), true
}

// processAlive reports whether a process of this machine runs with pid.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// staleScratch reports whether a scratch database named name is litter at
// now: its owner on this machine is gone, or it is older than maxAge.
func staleScratch(name string, now time.Time, maxAge time.Duration) bool {
	host, pid, created, ok := scratchOwner(name)
	if !ok {
		return false
	}
	if host == hostTag && pid != os.Getpid() && !processAlive(pid) {
		return true
	}
	return now.Sub(created) > maxAge
}

// CollectScratch drops the stale scratch databases of the server (MySQL
// and MariaDB; nothing to do on SQLite, whose scratch databases live in
// memory) and returns their names. A scratch database is stale when the
// process that made it (same host) is gone, or when it is older than
// twice the statement timeout plus an hour, whoever made it.
func (s *Server) CollectScratch(ctx context.Context) ([]string, error) {
	if !isMySQLFamily(s.engine) {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.StallTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'landlord\\_dev\\_%'")
	if err != nil {
		return nil, fmt.Errorf("list scratch databases: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	maxAge := 2*s.opts.StatementTimeout + time.Hour
	var dropped []string
	now := time.Now()
	for _, n := range names {
		if !staleScratch(n, now, maxAge) {
			continue
		}
		if _, err := s.db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(n)); err != nil {
			return dropped, fmt.Errorf("drop scratch database %s: %w", n, err)
		}
		dropped = append(dropped, n)
	}
	return dropped, nil
}
