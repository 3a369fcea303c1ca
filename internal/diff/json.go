package diff

import (
	"encoding/json"
	"io"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/stackparse"
)

// Schema names the JSON document of a diff.
const Schema = "gorotop/diff/v1"

// Report is the JSON document of a diff, one object:
//
//	{
//	  "schema": "gorotop/diff/v1",
//	  "base":    {"source": "before.txt", "taken_at": "2026-11-25T19:00:00Z", "total": 19, "groups": 3},
//	  "current": {"source": "after.txt",  "taken_at": "2026-11-25T19:05:00Z", "total": 39, "groups": 2},
//	  "delta": 20,
//	  "summary": {"appeared": 0, "grew": 1, "shrank": 0, "vanished": 1, "same": 1},
//	  "groups": [
//	    {
//	      "key": "7c1f…",
//	      "state": "chan receive",
//	      "blocked_at": {"func": "main.(*memQueue).scheduleFlush.func1", "file": "/src/shapes.go", "line": 160},
//	      "created_by": {"func": "main.(*memQueue).scheduleFlush", "file": "/src/shapes.go", "line": 155},
//	      "base_count": 10, "current_count": 30, "delta": 20,
//	      "change": "grew"
//	    }
//	  ]
//	}
//
// "groups" lists every group of either snapshot, in Result.Groups order
// (growth first, then loss, then the unchanged); "change" is one of
// appeared, grew, shrank, vanished, same. A group's state, blocked_at and
// created_by are those of gorotop/v1 (export.Schema), taken from CURRENT,
// or from BASE for a vanished group; blocked_at is null when every frame is
// in the runtime, created_by for the main goroutine and the runtime's.
// "delta" is current minus base, of the totals and of each group. Unknown
// fields may be added; these names and meanings stay.
type Report struct {
	Schema  string     `json:"schema"`
	Base    SideReport `json:"base"`
	Current SideReport `json:"current"`
	Delta   int        `json:"delta"`
	Summary Counts     `json:"summary"`
	// ByStack says the groups were matched by stack alone, because one
	// side is a profile (no states or creators).
	ByStack bool          `json:"by_stack,omitempty"`
	Groups  []GroupReport `json:"groups"`
}

// SideReport describes one of the two snapshots.
type SideReport struct {
	Source    string   `json:"source"`
	TakenAt   string   `json:"taken_at"`
	Total     int      `json:"total"`
	Groups    int      `json:"groups"`
	Truncated bool     `json:"truncated,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
}

// GroupReport is one group in a Report.
type GroupReport struct {
	Key          string            `json:"key"`
	State        string            `json:"state"`
	BlockedAt    *stackparse.Frame `json:"blocked_at"`
	CreatedBy    *stackparse.Frame `json:"created_by"`
	BaseCount    int               `json:"base_count"`
	CurrentCount int               `json:"current_count"`
	Delta        int               `json:"delta"`
	Change       Change            `json:"change"`
}

// BuildReport turns a Result into its JSON document.
func BuildReport(r *Result) Report {
	rep := Report{
		Schema:  Schema,
		Base:    sideReport(r.Base),
		Current: sideReport(r.Current),
		Delta:   r.Delta(),
		Summary: r.Counts,
		ByStack: r.ByStack,
		Groups:  make([]GroupReport, len(r.Groups)),
	}
	for i, g := range r.Groups {
		rep.Groups[i] = GroupReport{
			Key:          g.Key,
			State:        g.Group.State,
			BlockedAt:    g.Group.BlockedAt(),
			CreatedBy:    g.Group.CreatedBy,
			BaseCount:    g.Base,
			CurrentCount: g.Current,
			Delta:        g.Delta(),
			Change:       g.Change,
		}
	}
	return rep
}

func sideReport(s Side) SideReport {
	return SideReport{
		Source:    stackparse.Clean(s.Source, 0),
		TakenAt:   s.TakenAt.UTC().Format(time.RFC3339),
		Total:     s.Snap.Total,
		Groups:    len(s.Snap.Groups),
		Truncated: s.Snap.Truncated,
		Warnings:  export.CleanAll(s.Snap.Warnings),
	}
}

// JSON writes the diff as an indented gorotop/diff/v1 document.
func JSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(BuildReport(r))
}
