package forewarn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SubjectSource says that a subject is, or was, an entry of a published dataset (a
// sanctions list, another agency's file): which dataset, which version last carried it,
// and the entry's ID there. A subject withdrawn from a dataset keeps its source, marked.
type SubjectSource struct {
	Dataset          string    `json:"dataset"`
	Version          string    `json:"version,omitempty"`
	ExternalID       string    `json:"external_id"`
	WithdrawnAt      time.Time `json:"withdrawn_at,omitzero"`
	WithdrawnVersion string    `json:"withdrawn_version,omitempty"`
}

// Withdrawn reports whether the dataset no longer carries the entry.
func (s SubjectSource) Withdrawn() bool { return !s.WithdrawnAt.IsZero() }

// ImportRecord is one person as a dataset describes it: the subject it maps to (without
// ID or sources) and the claims the dataset makes about them.
type ImportRecord struct {
	ExternalID string   `json:"external_id"`
	Subject    Subject  `json:"subject"`
	Claims     []*Claim `json:"claims,omitempty"`
	// Original holds the objects the record was mapped from, exactly as the dataset gave
	// them, when the format is one an export can give back (STIX: the person first, then
	// the notes and relationships about them).
	Original []json.RawMessage `json:"original,omitempty"`
	// Position says where the record is in its file ("line 12", "entity NK-1"), for errors.
	Position string `json:"-"`
}

// ImportLink is a link a dataset states between two of its entries.
type ImportLink struct {
	FromID   string          `json:"from_id"` // external IDs in the dataset
	ToID     string          `json:"to_id"`
	Kind     AssociationKind `json:"kind"`
	Note     string          `json:"note,omitempty"`
	Position string          `json:"-"`
}

// RawObject is an object of a dataset that Forewarn does not map (a STIX indicator, a
// report from elsewhere), kept exactly as received and counted, never silently dropped.
type RawObject struct {
	ExternalID string          `json:"external_id"` // its ID in the dataset
	Type       string          `json:"type"`
	Version    string          `json:"version,omitempty"` // STIX: modified
	Body       json.RawMessage `json:"body"`
}

// RawReader is an ImportReader that also keeps what it does not map.
type RawReader interface {
	ImportReader
	// Raw returns the objects the last Read did not map.
	Raw() []RawObject
}

// ImportStatus is where an import job stands.
type ImportStatus string

// The statuses of an import job.
const (
	ImportRunning     ImportStatus = "running"
	ImportDone        ImportStatus = "done"
	ImportFailed      ImportStatus = "failed"
	ImportInterrupted ImportStatus = "interrupted" // stopped part-way; running it again completes it
)

// ImportCounts are what an import did, or (dry run) would do.
type ImportCounts struct {
	Read      int `json:"read"`
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Withdrawn int `json:"withdrawn"`
	Unchanged int `json:"unchanged"`
	Invalid   int `json:"invalid"` // bad rows, reported in Errors
	Links     int `json:"links"`
	Alerts    int `json:"alerts"` // subjects that matched persons in messages received before
	// Raw counts the objects the format holds that Forewarn does not map, kept as received
	// (see ImportStore.KeepRawObjects).
	Raw int `json:"raw,omitempty"`
	// Skipped counts what the format holds and Forewarn does not map, by kind
	// ("schema:Company", "property:Person.innCode"): counted, never silently mangled.
	Skipped map[string]int `json:"skipped,omitempty"`
}

// Skip counts one thing of kind that the import leaves out.
func (c *ImportCounts) Skip(kind string) {
	if c.Skipped == nil {
		c.Skipped = map[string]int{}
	}
	c.Skipped[kind]++
}

// ImportError is one bad row: where it is and why it was refused.
type ImportError struct {
	Position string `json:"position"`
	Reason   string `json:"reason"`
}

func (e ImportError) String() string { return e.Position + ": " + e.Reason }

// MaxImportErrors is how many bad rows an import job lists; the rest are only counted.
const MaxImportErrors = 20

// ImportJob is one import of one version of a dataset, audited with its counts.
type ImportJob struct {
	ID         string        `json:"id"`
	Dataset    string        `json:"dataset"`
	Version    string        `json:"version"`
	Format     string        `json:"format"`
	DryRun     bool          `json:"dry_run"`
	Status     ImportStatus  `json:"status"`
	Actor      string        `json:"actor"`
	Counts     ImportCounts  `json:"counts"`
	Errors     []ImportError `json:"errors,omitempty"`
	Message    string        `json:"message,omitempty"` // why it failed
	StartedAt  time.Time     `json:"started_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
	FinishedAt time.Time     `json:"finished_at,omitzero"`
}

// AddError records a bad row, keeping the first MaxImportErrors.
func (j *ImportJob) AddError(position, reason string) {
	j.Counts.Invalid++
	if len(j.Errors) < MaxImportErrors {
		j.Errors = append(j.Errors, ImportError{Position: position, Reason: reason})
	}
}

// ImportOutcome is what an import did with one record.
type ImportOutcome string

// The outcomes of one record.
const (
	ImportAdded     ImportOutcome = "added"
	ImportUpdated   ImportOutcome = "updated"
	ImportUnchanged ImportOutcome = "unchanged"
)

// ImportResult is the outcome for one record and the subject it went to.
type ImportResult struct {
	Outcome   ImportOutcome `json:"outcome"`
	SubjectID string        `json:"subject_id,omitempty"` // empty in a dry run for an added record
}

// ImportStore keeps import jobs and applies datasets to subjects with sync semantics:
// an entry is matched to its subject by (dataset, external ID); only what came from the
// dataset is changed; nothing is deleted. Every change is audited in its transaction.
type ImportStore interface {
	// StartImport records a new running job (filling ID and times) and audits it. A job
	// of the same dataset still running and recently active is ECONFLICT, saying when it
	// will count as dead; one silent for longer (its process died) is marked interrupted
	// first.
	StartImport(ctx context.Context, actor Actor, job *ImportJob) error
	// ImportHeartbeat records that a running job is alive. It is ECONFLICT when the job
	// no longer runs (another import took it for dead), and the job must then stop.
	ImportHeartbeat(ctx context.Context, id string) error
	// FinishImport records the job's final status, counts and errors, audited.
	FinishImport(ctx context.Context, actor Actor, job *ImportJob) error
	ImportJob(ctx context.Context, id string) (*ImportJob, error)
	// ImportJobs lists the most recent jobs, of one dataset when dataset is set.
	ImportJobs(ctx context.Context, dataset string, limit int) ([]*ImportJob, error)
	// ApplyImportBatch writes a batch of valid records in one transaction: new entries
	// become subjects, changed ones are updated, unchanged ones are not written. It adds
	// the outcomes to job.Counts and saves them with the batch. In a dry run (job.DryRun)
	// nothing is written and the results say what would happen.
	ApplyImportBatch(ctx context.Context, actor Actor, job *ImportJob, recs []*ImportRecord) ([]ImportResult, error)
	// WithdrawMissing marks every entry of job.Dataset that seen does not report as
	// withdrawn from the dataset (nothing is deleted), counts them in job.Counts, and
	// returns the subjects concerned. A dry run only counts.
	WithdrawMissing(ctx context.Context, actor Actor, job *ImportJob, seen func(externalID string) bool) ([]string, error)
	// ApplyImportLinks records the links between entries of job.Dataset as associations
	// sourced to it, each once, and counts them; links to entries the node does not hold
	// are reported as errors in the job.
	ApplyImportLinks(ctx context.Context, actor Actor, job *ImportJob, links []ImportLink) error
	// KeepRawObjects keeps what the import read and does not map, each object version
	// once, with one audit entry, and counts them all in job.Counts.Raw. A dry run only
	// counts.
	KeepRawObjects(ctx context.Context, actor Actor, job *ImportJob, objs []RawObject) error
	// RawObjects returns the objects kept raw from a dataset, in the order they came.
	RawObjects(ctx context.Context, dataset string) ([]*RawObject, error)
	// ImportRecord returns the record a dataset last gave for an entry (with its
	// Original objects, for an export that gives them back); ENOTFOUND when there is none.
	ImportRecord(ctx context.Context, dataset, externalID string) (*ImportRecord, error)
}

// ImportTakenOver is the error of a running job that another import of its dataset took
// for dead and marked interrupted: the job must stop, and the other import completes
// the dataset.
func ImportTakenOver(j *ImportJob) *Error {
	return &Error{Code: ECONFLICT, Rule: "import_taken_over",
		Message: fmt.Sprintf("import job %s no longer runs: another import of %q took it for dead; that import completes the dataset", j.ID, j.Dataset)}
}

// IsImportTakenOver reports whether err is ImportTakenOver's.
func IsImportTakenOver(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Rule == "import_taken_over"
}

// ValidateDataset checks a dataset name: short, one line, letters, digits and ._-:/.
func ValidateDataset(name string) error {
	if strings.TrimSpace(name) == "" {
		return Invalid("dataset", "required", "name the dataset (for example us_ofac_sdn)")
	}
	if err := validateText("dataset", name, true, 100); err != nil {
		return err
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-:/", r)) {
			return Invalid("dataset", "charset", "%q may hold only letters, digits and . _ - : /", name)
		}
	}
	return nil
}

// claimKey identifies a claim by what it asserts, so a dataset's claim is recognised again.
func claimKey(c *Claim) string {
	neg := "+"
	if c.Negative {
		neg = "-"
	}
	return string(c.Kind) + "|" + c.Value + "|" + c.ValidFrom.String() + "|" + c.ValidTo.String() + "|" + neg
}

// NewImportClaims returns the claims of next that prev did not make: what a re-import adds.
// Claims a dataset stopped making stay recorded (claims are never overwritten).
func NewImportClaims(prev, next *ImportRecord) []*Claim {
	had := map[string]bool{}
	if prev != nil {
		for _, c := range prev.Claims {
			had[claimKey(c)] = true
		}
	}
	var out []*Claim
	for _, c := range next.Claims {
		if !had[claimKey(c)] {
			had[claimKey(c)] = true
			out = append(out, c)
		}
	}
	return out
}

// ApplyImportChange changes the subject from what the dataset said before (prev) to what
// it says now (next), touching only what came from the dataset: names, nationalities and
// documents prev gave and next does not are removed, new ones added; a field the dataset
// set is updated unless someone changed it since. Names, documents and facts from
// elsewhere (an analyst, a confirmed match) stay.
func (s *Subject) ApplyImportChange(prev, next *ImportRecord) {
	p, n := &prev.Subject, &next.Subject
	nameKey := func(x Name) string { return x.Value + "\x00" + x.Source }
	prevNames := map[string]bool{}
	for _, x := range p.Names {
		prevNames[nameKey(x)] = true
	}
	nextNames := map[string]Name{}
	for _, x := range n.Names {
		nextNames[nameKey(x)] = x
	}
	var names []Name
	have := map[string]bool{}
	for _, x := range s.Names {
		k := nameKey(x)
		if prevNames[k] {
			if _, keep := nextNames[k]; !keep {
				continue
			}
		}
		have[k] = true
		names = append(names, x)
	}
	for _, x := range n.Names {
		if !have[nameKey(x)] {
			have[nameKey(x)] = true
			names = append(names, x)
		}
	}
	// The dataset's primary name leads when the subject's primary came from the dataset.
	primary := -1
	for i, x := range names {
		if x.Kind == NamePrimary {
			if primary >= 0 {
				names[i].Kind = NameAlias
				continue
			}
			primary = i
		}
	}
	if primary >= 0 && prevNames[nameKey(names[primary])] {
		for i, x := range names {
			if _, ok := nextNames[nameKey(x)]; ok && nextNames[nameKey(x)].Kind == NamePrimary && i != primary {
				names[primary].Kind, names[i].Kind = NameAlias, NamePrimary
				break
			}
		}
	}
	if primary < 0 && len(names) > 0 {
		names[0].Kind = NamePrimary
	}
	s.Names = names
	s.Nationalities = syncList(s.Nationalities, p.Nationalities, n.Nationalities, func(c string) string { return c })
	s.Documents = syncList(s.Documents, p.Documents, n.Documents, func(d Document) string { return d.Kind + "\x00" + d.Number + "\x00" + d.Country })
	if s.BirthDate == p.BirthDate {
		s.BirthDate = n.BirthDate
	}
	if s.Birthplace == p.Birthplace {
		s.Birthplace = n.Birthplace
	}
	if s.Gender == p.Gender {
		s.Gender = n.Gender
	}
	if s.Notes == p.Notes {
		s.Notes = n.Notes
	}
	if s.Watch == p.Watch {
		s.Watch = n.Watch
	}
}

// syncList removes from have what prev listed and next does not, and appends what next
// adds, each once.
func syncList[T any](have, prev, next []T, key func(T) string) []T {
	inNext := map[string]bool{}
	for _, x := range next {
		inNext[key(x)] = true
	}
	inPrev := map[string]bool{}
	for _, x := range prev {
		inPrev[key(x)] = true
	}
	var out []T
	seen := map[string]bool{}
	for _, x := range have {
		k := key(x)
		if (inPrev[k] && !inNext[k]) || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, x)
	}
	for _, x := range next {
		if k := key(x); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}

// SetSource records that the subject is carried by the dataset entry src (replacing an
// earlier record of the same entry), keeping sources from other datasets.
func (s *Subject) SetSource(src SubjectSource) {
	for i, x := range s.Sources {
		if x.Dataset == src.Dataset && x.ExternalID == src.ExternalID {
			s.Sources[i] = src
			return
		}
	}
	s.Sources = append(s.Sources, src)
	slices.SortFunc(s.Sources, func(a, b SubjectSource) int {
		return strings.Compare(a.Dataset+"\x00"+a.ExternalID, b.Dataset+"\x00"+b.ExternalID)
	})
}

// ImportReader reads the persons of one dataset file. Read streams them from the start
// each time it is called (an import validates, then writes); bad receives each row it
// cannot map, with its position and the reason.
type ImportReader interface {
	Read(ctx context.Context, fn func(*ImportRecord) error, bad func(ImportError)) error
	// Links are the links between entries the file states, known after a Read.
	Links() []ImportLink
	// Skipped counts what the last Read left out, by kind.
	Skipped() map[string]int
}
