package api

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/state"
)

// POST takes a backup (operate scope), GET lists the tenant's backups.
func TestTenantBackups(t *testing.T) {
	e := newEnv(t)
	e.start()
	if code := e.call("POST", "/api/v1/tenants/cpn-uml/backups", readToken, nil, "", nil); code != 403 {
		t.Errorf("read token takes a backup: %d, want 403", code)
	}
	if code := e.call("POST", "/api/v1/tenants/nobody/backups", operateToken, nil, "", nil); code != 404 {
		t.Errorf("unknown tenant: %d, want 404", code)
	}
	var m backup.Manifest
	if code := e.call("POST", "/api/v1/tenants/cpn-uml/backups", operateToken, nil, "", &m); code != 201 || m.ID == "" || m.Tenant != "cpn-uml" || m.SchemaHCL != "" {
		t.Fatalf("take: %d %+v", code, m)
	}
	var list struct {
		Tenant  string
		Backups []state.Backup
	}
	if code := e.call("GET", "/api/v1/tenants/cpn-uml/backups", readToken, nil, "", &list); code != 200 || len(list.Backups) != 1 ||
		list.Backups[0].ID != m.ID || list.Backups[0].Status != state.BackupComplete {
		t.Errorf("list: %d %+v", code, list)
	}
	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `landlord_backup_last_success_age_seconds{tenant="cpn-uml"}`) {
		t.Errorf("/metrics lacks the backup age of cpn-uml")
	}
}
