package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/forewarn/forewarn"
)

// ExportOptions configure an export of subjects.
type ExportOptions struct {
	Format string // for the audit trail
	// Backup exports everything, including what handling marks forbid to release: only
	// for an administrator's backup.
	Backup bool
	// Claims reads each subject's claims too (the CSV and STIX exports carry them).
	Claims bool
	// Associations reads the associations from each subject, with the sources of the
	// subjects they point to (STIX names them by the ID they export under).
	Associations bool
	// Originals reads what each subject was imported from, when its dataset kept it (a
	// STIX bundle's objects), so that the export gives it back unchanged.
	Originals bool
	// Messages exports the messages too, those received only when their handling marks
	// let them leave in a file (CheckEgress, forewarn.EgressExport).
	Messages bool
	// OriginalMarks reads the handling marks an original object carries (STIX: its TLP
	// marking and the Forewarn extension's release list). A subject whose originals carry
	// marks that forbid leaving in a file is held back whole, unless the export is a
	// backup: its names came under those marks.
	OriginalMarks func(json.RawMessage) (forewarn.HandlingMarks, bool)
}

// ExportItem is one subject as an export carries it.
type ExportItem struct {
	Subject *forewarn.Subject
	Claims  []*forewarn.Claim
	// Associations are those from the subject; Targets holds the sources of the subjects
	// they point to, by subject ID.
	Associations []*forewarn.Association
	Targets      map[string][]forewarn.SubjectSource
	// Original is what the subject was imported from (forewarn.ImportRecord.Original).
	Original []json.RawMessage
}

// ExportReport says what an export wrote and what it held back.
type ExportReport struct {
	Subjects int `json:"subjects"`
	// Withheld counts names and claims left out because the message they came in may not
	// be released further (TLP:AMBER and above, a release list, or originator consent).
	Withheld int `json:"withheld"`
	// Messages counts the messages written (Messages option); those withheld count in
	// Withheld.
	Messages int `json:"messages,omitempty"`
}

// ExportSubjects calls fn with every subject and (when asked) its claims, holding back
// the names and claims that came in messages whose handling marks forbid release, unless
// the export is an administrator's backup. The export is audited as one read.
func (n *Node) ExportSubjects(ctx context.Context, actor forewarn.Actor, opt ExportOptions, fn func(*forewarn.Subject, []*forewarn.Claim) error) (*ExportReport, error) {
	return n.Export(ctx, actor, opt, func(it *ExportItem) error { return fn(it.Subject, it.Claims) }, nil)
}

// Export calls fn with every subject and what the options ask for, then (Messages)
// message with every message that may leave, holding back what handling marks forbid to
// release unless the export is an administrator's backup. The export is audited as one
// read; every refusal of a received message is audited by CheckEgress.
func (n *Node) Export(ctx context.Context, actor forewarn.Actor, opt ExportOptions, fn func(*ExportItem) error, message func(*forewarn.Message) error) (*ExportReport, error) {
	// Which confirmed matches brought a restricted message's names into which subject.
	restricted := map[string]map[string]bool{} // subject ID → sender agencies whose names are held back
	restrictedMsgs := map[string]bool{}
	checked := map[string]bool{} // message ID → asked CheckEgress already
	if !opt.Backup {
		for offset := 0; ; {
			page, total, err := n.Store.Matches(ctx, forewarn.MatchFilter{Status: forewarn.MatchConfirmed, Offset: offset, Limit: 1000})
			if err != nil {
				return nil, err
			}
			for _, m := range page {
				if m.SubjectID == "" {
					continue
				}
				sm, err := n.Store.Message(ctx, m.MessageID)
				if err != nil {
					return nil, err
				}
				if sm.Direction != forewarn.DirectionIn {
					continue // this node's own words: it is their originator
				}
				if !checked[m.MessageID] {
					checked[m.MessageID] = true
					err := n.CheckEgress(ctx, actor, forewarn.Egress{Path: forewarn.EgressExport, MessageID: m.MessageID, Marks: sm.Message.Marks, Originator: sm.Message.From})
					if err == nil {
						continue
					}
					if forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
						return nil, err
					}
					restrictedMsgs[m.MessageID] = true
				}
				if !restrictedMsgs[m.MessageID] {
					continue
				}
				restrictedMsgs[m.MessageID] = true
				if restricted[m.SubjectID] == nil {
					restricted[m.SubjectID] = map[string]bool{}
				}
				restricted[m.SubjectID][sm.Message.From] = true
			}
			offset += len(page)
			if len(page) == 0 || offset >= total {
				break
			}
		}
	}
	// The read is audited before anything leaves the node.
	detail := fmt.Sprintf("export format=%s backup=%t", opt.Format, opt.Backup)
	if err := n.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: actor, Action: "subject.export", ObjectType: "subject", Detail: detail}); err != nil {
		return nil, err
	}
	rep := &ExportReport{}
	sources := map[string][]forewarn.SubjectSource{}
	if opt.Associations {
		if err := n.Store.ScanSubjects(ctx, func(s *forewarn.Subject) error {
			if len(s.Sources) > 0 {
				sources[s.ID] = s.Sources
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	err := n.Store.ScanSubjects(ctx, func(s *forewarn.Subject) error {
		if from := restricted[s.ID]; from != nil {
			kept := s.Names[:0]
			for _, nm := range s.Names {
				if nm.Kind == forewarn.NameAlias && from[nm.Source] {
					rep.Withheld++
					continue
				}
				kept = append(kept, nm)
			}
			s.Names = kept
		}
		var claims []*forewarn.Claim
		if opt.Claims {
			all, err := n.Store.Claims(ctx, s.ID)
			if err != nil {
				return err
			}
			for _, c := range all {
				if c.MessageID != "" && restrictedMsgs[c.MessageID] {
					rep.Withheld++
					continue
				}
				claims = append(claims, c)
			}
		}
		it := &ExportItem{Subject: s, Claims: claims}
		if opt.Associations {
			all, err := n.Store.Associations(ctx, s.ID)
			if err != nil {
				return err
			}
			for _, a := range all {
				if a.FromID != s.ID {
					continue
				}
				it.Associations = append(it.Associations, a)
				if src := sources[a.ToID]; src != nil {
					if it.Targets == nil {
						it.Targets = map[string][]forewarn.SubjectSource{}
					}
					it.Targets[a.ToID] = src
				}
			}
		}
		if opt.Originals {
			for _, src := range s.Sources {
				if src.Withdrawn() {
					continue
				}
				rec, err := n.Store.ImportRecord(ctx, src.Dataset, src.ExternalID)
				if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
					continue
				}
				if err != nil {
					return err
				}
				if len(rec.Original) > 0 {
					it.Original = rec.Original
					break
				}
			}
			if !opt.Backup && opt.OriginalMarks != nil {
				for _, o := range it.Original {
					marks, ok := opt.OriginalMarks(o)
					if !ok {
						continue
					}
					err := n.CheckEgress(ctx, actor, forewarn.Egress{Path: forewarn.EgressExport, Marks: marks, Originator: s.Sources[0].Dataset})
					if forewarn.ErrorCode(err) == forewarn.EFORBIDDEN {
						rep.Withheld++
						return nil
					}
					if err != nil {
						return err
					}
				}
			}
		}
		rep.Subjects++
		return fn(it)
	})
	if err != nil {
		return nil, err
	}
	if opt.Messages && message != nil {
		if err := n.exportMessages(ctx, actor, opt, rep, message); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// exportMessages calls fn with every message this node sent, and every one it received
// whose handling marks let it leave in a file (or all, for a backup).
func (n *Node) exportMessages(ctx context.Context, actor forewarn.Actor, opt ExportOptions, rep *ExportReport, fn func(*forewarn.Message) error) error {
	for offset := 0; ; {
		page, total, err := n.Store.Messages(ctx, forewarn.MessageFilter{Offset: offset, Limit: 500})
		if err != nil {
			return err
		}
		for _, sm := range page {
			m := sm.Message
			if sm.Direction == forewarn.DirectionIn && !opt.Backup {
				err := n.CheckEgress(ctx, actor, forewarn.Egress{Path: forewarn.EgressExport, MessageID: m.ID, Marks: m.Marks, Originator: m.From})
				if forewarn.ErrorCode(err) == forewarn.EFORBIDDEN {
					rep.Withheld++
					continue
				}
				if err != nil {
					return err
				}
			}
			if err := fn(m); err != nil {
				return err
			}
			rep.Messages++
		}
		offset += len(page)
		if len(page) == 0 || offset >= total {
			return nil
		}
	}
}
