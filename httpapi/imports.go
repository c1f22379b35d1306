package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// DefaultMaxImportBytes bounds an uploaded dataset when Importer.MaxBytes is zero.
const DefaultMaxImportBytes = 8 << 30

// Importer lets the API take datasets: the wiring supplies the format readers, so this
// package knows none of them.
type Importer struct {
	// Reader returns the reader of an uploaded file in format, decoded from encoding.
	Reader func(format, encoding, dataset string, grading forewarn.Grading, path string) (forewarn.ImportReader, error)
	// Dir is where uploads are spooled ("" for the system's temporary directory).
	Dir      string
	MaxBytes int64

	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// running returns the context imports run in: cancelled when the server closes, which
// leaves their jobs interrupted and the node consistent.
func (im *Importer) running() context.Context {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.ctx == nil {
		im.ctx, im.cancel = context.WithCancel(context.Background())
	}
	return im.ctx
}

// sweep removes the uploads a stopped process left spooled in the importer's directory.
func (im *Importer) sweep(log *slog.Logger) { sweepSpools(im.Dir, log) }

// stop interrupts running imports and waits until their jobs are recorded.
func (im *Importer) stop() {
	im.mu.Lock()
	if im.cancel != nil {
		im.cancel()
	}
	im.mu.Unlock()
	im.wg.Wait()
}

// handleCreateImport spools the uploaded dataset to disk as it streams in (an import reads
// it twice: validate, then write), starts the import job and answers 202 with the job,
// which GET /api/v1/imports/{id} follows. An upload refused for any reason leaves no job
// and no spooled file.
func (s *Server) handleCreateImport(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	im := s.Importer
	if im == nil || im.Reader == nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINVALID, "this node does not take imports"))
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	switch format {
	case "csv", "ftm", "ofac", "stix":
	default:
		s.writeError(w, r, forewarn.Invalid("format", "enum", "unknown format %q (csv, ftm, ofac or stix)", format))
		return
	}
	grading := forewarn.Grading{Reliability: "B", Credibility: 2}
	if g := q.Get("grading"); g != "" {
		var err error
		if grading, err = forewarn.ParseGrading(g); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	dryRun := false
	if v := q.Get("dry_run"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.writeError(w, r, forewarn.Invalid("dry_run", "bool", "%q is not true or false", v))
			return
		}
		dryRun = b
	}
	opt := app.ImportOptions{Dataset: q.Get("dataset"), Version: q.Get("version"), Format: format, DryRun: dryRun, OnError: q.Get("on_error")}
	if opt.Version == "" {
		opt.Version = s.Node.Clock.Now().UTC().Format("2006-01-02")
	}
	if err := forewarn.ValidateDataset(opt.Dataset); err != nil {
		s.writeError(w, r, err)
		return
	}
	limit := im.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxImportBytes
	}
	spool, err := newSpool(im.Dir)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	var path string
	if format == "ofac" {
		path, err = spoolOFAC(spool.dir, r, body, limit)
	} else {
		path = filepath.Join(spool.dir, "upload")
		err = spoolFile(path, body)
	}
	if err != nil {
		spool.remove()
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) || errors.Is(err, errUploadTooBig) {
			var body errorBody
			body.Error.Code, body.Error.Message, body.Error.Field, body.Error.Rule = forewarn.EINVALID, fmt.Sprintf("the upload is larger than %d bytes", limit), "body", "max_bytes"
			writeJSON(w, http.StatusRequestEntityTooLarge, body)
			return
		}
		if forewarn.ErrorCode(err) != forewarn.EINTERNAL {
			s.writeError(w, r, err)
			return
		}
		s.writeError(w, r, forewarn.Invalid("body", "read", "the upload was cut short: %v", err))
		return
	}
	reader, err := im.Reader(format, q.Get("encoding"), opt.Dataset, grading, path)
	if err != nil {
		spool.remove()
		if forewarn.ErrorCode(err) == forewarn.EINVALID {
			// The reader refused the content, naming where (a STIX bundle's JSON path):
			// no job starts, so the refusal is audited here.
			detail := fmt.Sprintf("dataset=%s format=%s: %s", opt.Dataset, format, err)
			if aerr := s.Node.Store.RecordAudit(r.Context(), &forewarn.AuditEntry{Actor: p.Actor(), Action: "import.refused", ObjectType: "import",
				Detail: forewarn.AuditText(detail, 1000)}); aerr != nil {
				s.writeError(w, r, aerr)
				return
			}
			s.writeError(w, r, err)
			return
		}
		s.writeError(w, r, forewarn.Invalid("encoding", "known", "%v", err))
		return
	}
	actor := p.Actor()
	job, err := s.Node.BeginImport(r.Context(), actor, &opt)
	if err != nil {
		spool.remove()
		s.writeError(w, r, err)
		return
	}
	// The spooled file goes before the job is recorded as ended, not after: whoever
	// sees the job finished (a client polling it, an operator) finds no file left.
	opt.InputDone = func() {
		if err := spool.remove(); err != nil {
			s.Logger.Warn("could not remove an import's spooled upload", "job", job.ID, "path", spool.dir, "err", err)
		}
	}
	ctx := im.running()
	im.wg.Add(1)
	go func(job forewarn.ImportJob) {
		defer im.wg.Done()
		if err := s.Node.RunImport(ctx, actor, &job, reader, opt); err != nil {
			s.Logger.Warn("import ended with an error", "job", job.ID, "dataset", job.Dataset, "err", err)
		}
	}(*job)
	w.Header().Set("Location", "/api/v1/imports/"+job.ID)
	writeJSON(w, http.StatusAccepted, job)
}

func (s *Server) handleGetImport(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	job, err := s.Node.Store.ImportJob(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

func (s *Server) handleListImports(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	_, limit, err := parsePage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	jobs, err := s.Node.Store.ImportJobs(r.Context(), r.URL.Query().Get("dataset"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[*forewarn.ImportJob]{Items: jobs, Total: len(jobs), Limit: limit})
}
