package api

import (
	"errors"
	"net/http"

	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/state"
)

// backups lists a tenant's backups, newest first (at most 100).
func (s *Server) backups(w http.ResponseWriter, r *http.Request, _ Token) {
	slug := r.PathValue("slug")
	list, err := s.store.Backups(r.Context(), slug, 100)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if list == nil {
		list = []state.Backup{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenant": slug, "backups": list})
}

// takeBackup takes a backup of the tenant now and answers its manifest
// (without the schema HCL).
func (s *Server) takeBackup(w http.ResponseWriter, r *http.Request, tok Token) {
	m, err := s.loop.Backup(r.Context(), r.PathValue("slug"), tok.Name)
	var unknown *daemon.UnknownTenantError
	switch {
	case errors.As(err, &unknown):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, daemon.ErrNotReady), errors.Is(err, daemon.ErrStopping):
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, redact.Text(err.Error()))
		return
	}
	m.SchemaHCL = ""
	writeJSON(w, http.StatusCreated, m)
}
