package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// On-error policies of an import.
const (
	OnErrorAbort = "abort" // a bad row fails the import, which then writes nothing
	OnErrorSkip  = "skip"  // bad rows are reported and left out
)

// ImportOptions configure one import.
type ImportOptions struct {
	Dataset string // the dataset's name: the same name on every version
	Version string // its version or date
	Format  string // what it was read from, for the record
	DryRun  bool
	// OnError is abort or skip; empty means abort for the dataset's first import and skip
	// after one has completed.
	OnError string
	// BatchSize is how many records are written per transaction; 0 means 1000.
	BatchSize int
	// Progress, when set, is called after each batch with the job's counts so far.
	Progress func(*forewarn.ImportJob)
	// InputDone, when set, is called once the reader is done with its input and before
	// the job is recorded as ended, however it ends: a caller that spooled the input
	// removes it there, so no job is ever reported finished while its file remains.
	InputDone func()
}

// ImportFailed is the error of an import that refused its input: the job says why.
type ImportFailed struct{ Job *forewarn.ImportJob }

func (e *ImportFailed) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import of %s refused: %s", e.Job.Dataset, e.Job.Message)
	for _, ie := range e.Job.Errors {
		b.WriteString("\n  " + ie.String())
	}
	if more := e.Job.Counts.Invalid - len(e.Job.Errors); more > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", more)
	}
	return b.String()
}

// Import reads a dataset and brings the node's subjects in line with it, as one audited
// job: new entries become subjects, changed ones are updated (only in what the dataset
// gave), entries the dataset no longer carries are marked withdrawn, nothing is deleted.
// New and changed subjects are matched against the messages received before, with one
// alert per subject that matches. A cancelled context leaves the node consistent (each
// batch is one transaction) and the job marked interrupted; importing again completes it.
func (n *Node) Import(ctx context.Context, actor forewarn.Actor, r forewarn.ImportReader, opt ImportOptions) (*forewarn.ImportJob, error) {
	job, err := n.BeginImport(ctx, actor, &opt)
	if err != nil {
		return nil, err
	}
	return job, n.RunImport(ctx, actor, job, r, opt)
}

// BeginImport records a running import job, so that a caller (the API) can name it at
// once; it settles opt's on-error policy. RunImport then runs it.
func (n *Node) BeginImport(ctx context.Context, actor forewarn.Actor, opt *ImportOptions) (*forewarn.ImportJob, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 1000
	}
	if err := forewarn.ValidateDataset(opt.Dataset); err != nil {
		return nil, err
	}
	switch opt.OnError {
	case "":
		prev, err := n.Store.ImportJobs(ctx, opt.Dataset, 100)
		if err != nil {
			return nil, err
		}
		opt.OnError = OnErrorAbort
		for _, j := range prev {
			if j.Status == forewarn.ImportDone && !j.DryRun {
				opt.OnError = OnErrorSkip
			}
		}
	case OnErrorAbort, OnErrorSkip:
	default:
		return nil, forewarn.Invalid("on_error", "enum", "unknown policy %q (skip or abort)", opt.OnError)
	}
	job := &forewarn.ImportJob{Dataset: opt.Dataset, Version: opt.Version, Format: opt.Format, DryRun: opt.DryRun}
	if err := n.Store.StartImport(ctx, actor, job); err != nil {
		return nil, err
	}
	return job, nil
}

// ImportHeartbeatEvery is how often a running import tells the store it is alive, while it
// reads as while it writes; the store takes a job silent for several beats for dead (its
// process was killed), so the dataset can be imported again soon after.
var ImportHeartbeatEvery = 5 * time.Second

// RunImport runs a job BeginImport recorded, and records how it ended.
func (n *Node) RunImport(ctx context.Context, actor forewarn.Actor, job *forewarn.ImportJob, r forewarn.ImportReader, opt ImportOptions) error {
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		n.importHeartbeat(runCtx, stop, job.ID)
	}()
	imp := &importRun{n: n, actor: actor, r: r, opt: opt, job: job}
	err := imp.run(runCtx)
	stop(nil)
	<-beating
	if opt.InputDone != nil {
		opt.InputDone()
	}
	if cause := context.Cause(runCtx); err != nil && forewarn.IsImportTakenOver(cause) {
		err = cause
	}
	if forewarn.IsImportTakenOver(err) {
		// Another import took this one for dead and marked it interrupted: it owns the
		// dataset now, and this job's record is already final.
		return err
	}
	finish := context.WithoutCancel(ctx)
	switch {
	case err == nil:
		job.Status = forewarn.ImportDone
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		job.Status, job.Message = forewarn.ImportInterrupted, "interrupted; importing the dataset again completes it"
	default:
		job.Status = forewarn.ImportFailed
		if job.Message == "" {
			job.Message = err.Error()
		}
	}
	if ferr := n.Store.FinishImport(finish, actor, job); ferr != nil {
		return errors.Join(err, ferr)
	}
	if err != nil {
		var failed *ImportFailed
		if errors.As(err, &failed) {
			failed.Job = job
		}
		return err
	}
	return nil
}

// importHeartbeat beats until ctx ends; when the store says the job no longer runs, it
// stops the import with that error.
func (n *Node) importHeartbeat(ctx context.Context, stop context.CancelCauseFunc, id string) {
	t := time.NewTicker(ImportHeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := n.Store.ImportHeartbeat(ctx, id)
			if forewarn.IsImportTakenOver(err) {
				stop(err)
				return
			}
			if err != nil && ctx.Err() == nil {
				n.Logger.Warn("import heartbeat failed", "job", id, "err", err)
			}
		}
	}
}

// importRun is one import in progress.
type importRun struct {
	n     *Node
	actor forewarn.Actor
	r     forewarn.ImportReader
	opt   ImportOptions
	job   *forewarn.ImportJob

	seen       map[string]struct{}
	planned    map[string]bool // entries a dry run would add
	unreadable int             // rows the reader could not map to an entry at all
	received   *receivedIndex
}

// check normalises and validates a record; the reason when it is refused.
func (imp *importRun) check(rec *forewarn.ImportRecord) string {
	if strings.TrimSpace(rec.ExternalID) == "" {
		return "the entry has no ID"
	}
	if _, dup := imp.seen[rec.ExternalID]; dup {
		return fmt.Sprintf("entry %q appears more than once", rec.ExternalID)
	}
	imp.seen[rec.ExternalID] = struct{}{}
	rec.Subject.Normalize()
	now := imp.n.Clock.Now()
	if err := rec.Subject.Validate(now); err != nil {
		return err.Error()
	}
	for _, c := range rec.Claims {
		cc := *c
		cc.SubjectID = rec.ExternalID
		if err := cc.Validate(now); err != nil {
			return "claim: " + err.Error()
		}
	}
	return ""
}

func (imp *importRun) run(ctx context.Context) error {
	job := imp.job
	if imp.opt.OnError == OnErrorAbort {
		// Read everything first: a file with bad rows writes nothing.
		imp.seen = map[string]struct{}{}
		err := imp.r.Read(ctx, func(rec *forewarn.ImportRecord) error {
			if reason := imp.check(rec); reason != "" {
				job.AddError(rec.Position, reason)
			}
			return nil
		}, func(e forewarn.ImportError) { job.AddError(e.Position, e.Reason) })
		if err != nil {
			return err
		}
		if job.Counts.Invalid > 0 {
			job.Message = fmt.Sprintf("%d bad rows; nothing was imported (fix them, or import with --on-error skip to leave them out)", job.Counts.Invalid)
			return &ImportFailed{Job: job}
		}
		job.Counts = forewarn.ImportCounts{}
	}
	received, err := imp.n.loadReceivedIndex(ctx)
	if err != nil {
		return err
	}
	imp.received = received
	imp.seen, imp.planned = map[string]struct{}{}, map[string]bool{}
	batch := make([]*forewarn.ImportRecord, 0, imp.opt.BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		results, err := imp.n.Store.ApplyImportBatch(ctx, imp.actor, job, batch)
		if err != nil {
			return err
		}
		if err := imp.afterBatch(ctx, batch, results); err != nil {
			return err
		}
		batch = batch[:0]
		if imp.opt.Progress != nil {
			imp.opt.Progress(job)
		}
		return nil
	}
	err = imp.r.Read(ctx, func(rec *forewarn.ImportRecord) error {
		job.Counts.Read++
		if reason := imp.check(rec); reason != "" {
			job.AddError(rec.Position, reason)
			return nil
		}
		batch = append(batch, rec)
		if len(batch) == imp.opt.BatchSize {
			return flush()
		}
		return nil
	}, func(e forewarn.ImportError) {
		imp.unreadable++
		job.AddError(e.Position, e.Reason)
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	for k, v := range imp.r.Skipped() {
		if job.Counts.Skipped == nil {
			job.Counts.Skipped = map[string]int{}
		}
		job.Counts.Skipped[k] = v
	}
	if rr, ok := imp.r.(forewarn.RawReader); ok {
		if raw := rr.Raw(); len(raw) > 0 {
			if err := imp.n.Store.KeepRawObjects(ctx, imp.actor, job, raw); err != nil {
				return err
			}
		}
	}
	if links := imp.r.Links(); len(links) > 0 {
		if job.DryRun {
			// Links to entries the dry run would add are new links; the store judges the rest.
			var rest []forewarn.ImportLink
			for _, l := range links {
				if imp.planned[l.FromID] || imp.planned[l.ToID] {
					_, from := imp.seen[l.FromID]
					_, to := imp.seen[l.ToID]
					if from && to {
						job.Counts.Links++
					} else {
						job.AddError(l.Position, "links to an entry that is not a person of this dataset")
					}
					continue
				}
				rest = append(rest, l)
			}
			links = rest
		}
		if err := imp.n.Store.ApplyImportLinks(ctx, imp.actor, job, links); err != nil {
			return err
		}
	}
	if imp.unreadable > 0 {
		job.Message = fmt.Sprintf("%d rows could not be read, so entries missing from this version were not withdrawn", imp.unreadable)
		return nil
	}
	if _, err := imp.n.Store.WithdrawMissing(ctx, imp.actor, job, func(id string) bool { _, ok := imp.seen[id]; return ok }); err != nil {
		return err
	}
	return nil
}

// afterBatch lets the running node's matcher see the new and changed subjects, and
// matches them against the persons of messages received before.
func (imp *importRun) afterBatch(ctx context.Context, batch []*forewarn.ImportRecord, results []forewarn.ImportResult) error {
	if imp.job.DryRun {
		for i, res := range results {
			if res.Outcome == forewarn.ImportAdded {
				imp.planned[batch[i].ExternalID] = true
			}
		}
		return nil
	}
	var changed []*forewarn.Subject
	for i, res := range results {
		if res.Outcome == forewarn.ImportUnchanged {
			continue
		}
		s := batch[i].Subject
		s.ID = res.SubjectID
		changed = append(changed, &s)
	}
	// The batch is committed, so the matcher finds it in the change log, each subject as
	// stored (with what came from elsewhere, which the record lacks).
	if mt := imp.n.Matcher; mt != nil && len(changed) > 0 {
		if _, err := mt.CatchUp(ctx); err != nil {
			return err
		}
	}
	if imp.received == nil || len(changed) == 0 {
		return nil
	}
	return imp.n.retroMatchImported(ctx, imp.actor, imp.job, imp.received, changed)
}

// receivedIndex is an index of the persons in the messages this node received, for
// matching imported subjects against what the node was told before.
type receivedIndex struct {
	ix       *match.Index
	messages map[string]*forewarn.Message
}

// loadReceivedIndex indexes every person of every received message, in one streaming
// pass over the store (OFFSET paging slows as messages grow, and misses or repeats
// messages that arrive while it pages); nil when there are none.
func (n *Node) loadReceivedIndex(ctx context.Context) (*receivedIndex, error) {
	ri := &receivedIndex{ix: match.NewIndex(), messages: map[string]*forewarn.Message{}}
	err := n.Store.ScanReceived(ctx, func(m *forewarn.Message) error {
		ri.messages[m.ID] = m
		ps := m.Persons()
		for i := range ps {
			ri.ix.Update(match.Entry{ID: personKey(m.ID, ps[i].Ref), Person: descriptorPerson(&ps[i])})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if ri.ix.Len() == 0 {
		return nil, nil
	}
	return ri, nil
}

// retroMatchImported records, for each imported subject that matches persons in earlier
// messages, the matches for review and one alert naming the import job: a large import
// raises one alert per subject, never one per message.
func (n *Node) retroMatchImported(ctx context.Context, actor forewarn.Actor, job *forewarn.ImportJob, ri *receivedIndex, subjects []*forewarn.Subject) error {
	var matches []*forewarn.Match
	var alerts []*forewarn.Alert
	now := n.Clock.Now()
	for _, s := range subjects {
		var mentions []forewarn.Phrase
		var known map[string]bool
		for _, h := range ri.ix.Search(subjectPerson(s), 50) {
			if h.Score < match.DefaultThreshold {
				continue
			}
			mid, ref, ok := parsePersonKey(h.ID)
			if !ok {
				continue
			}
			m := ri.messages[mid]
			var d *forewarn.PersonDescriptor
			ps := m.Persons()
			for i := range ps {
				if ps[i].Ref == ref {
					d = &ps[i]
				}
			}
			if d == nil {
				continue
			}
			if known == nil {
				known = map[string]bool{}
				existing, _, err := n.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: s.ID, Limit: 1000})
				if err != nil {
					return err
				}
				for _, x := range existing {
					known[x.MessageID+"/"+x.PersonRef] = true
				}
			}
			if known[mid+"/"+ref] {
				continue
			}
			rejected, err := n.Store.RejectedPair(ctx, s.ID, Fingerprint(d))
			if err != nil {
				return err
			}
			if rejected {
				continue
			}
			x := hit{subjectID: s.ID, score: h.Score, explanation: h.Explanation}
			matches = append(matches, x.toMatch(mid, d))
			mentions = append(mentions, forewarn.Say(forewarn.PhraseAlertImportMention, forewarn.LabelArg(m.Kind), forewarn.AgencyArg(m.From), forewarn.DateArg(m.Created), forewarn.TextArg(d.DisplayName())))
		}
		if len(mentions) > 0 {
			p := forewarn.Say(forewarn.PhraseAlertImport, forewarn.TextArg(job.ID), forewarn.TextArg(job.Dataset), forewarn.TextArg(job.Version),
				forewarn.TextArg(s.PrimaryName()), forewarn.PhrasesArg(mentions...))
			alerts = append(alerts, &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "match", SubjectID: s.ID, CreatedAt: now, Text: p.English(), Phrase: p})
		}
	}
	if len(matches) == 0 {
		return nil
	}
	if err := n.Store.CreateMatches(ctx, actor, matches, alerts); err != nil {
		return err
	}
	job.Counts.Alerts += len(alerts)
	return nil
}
