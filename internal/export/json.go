package export

import (
	"encoding/json"
	"io"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// Report is the JSON document of one snapshot.
type Report struct {
	Schema    string `json:"schema"`
	Source    string `json:"source"`
	TakenAt   string `json:"taken_at"`
	Total     int    `json:"total"`
	Truncated bool   `json:"truncated,omitempty"`
	// Verdict is the tracker's verdict (track.Verdict: leak, rising,
	// not-judged or clean) when there is history.
	Verdict  string      `json:"verdict,omitempty"`
	Warnings []string    `json:"warnings,omitempty"`
	Input    InputFormat `json:"input"`
	Groups   []Group     `json:"groups"`
}

// InputFormat says what the snapshot was read from and what that format
// cannot tell.
type InputFormat struct {
	// Format is "dump" (a goroutine dump: ?debug=2, SIGQUIT, a panic),
	// "debug=1" (a ?debug=1 profile) or "pprof" (a protobuf profile).
	Format string `json:"format"`
	// Log names the log whose per-line prefix the dump was read under.
	Log string `json:"log,omitempty"`
	// Lacks lists what the format cannot tell: goroutine_ids, states,
	// wait_times, creators.
	Lacks []string `json:"lacks,omitempty"`
}

// Group is one group in a Report.
type Group struct {
	Key          string             `json:"key"`
	Count        int                `json:"count"`
	State        string             `json:"state"`
	States       map[string]int     `json:"states"`
	Leaked       int                `json:"leaked"`
	WaitMinutes  MinMax             `json:"wait_minutes"`
	BlockedAt    *stackparse.Frame  `json:"blocked_at"`
	CreatedBy    *stackparse.Frame  `json:"created_by"`
	Frames       []stackparse.Frame `json:"frames"`
	GoroutineIDs []int64            `json:"goroutine_ids"`
	// WritesDump marks the goroutines that wrote the dump: the request
	// that fetched it, which runs rather than waits.
	WritesDump bool                `json:"writes_dump,omitempty"`
	Locked     bool                `json:"locked,omitempty"`
	Elided     bool                `json:"elided,omitempty"`
	Labels     map[string]LabelSet `json:"labels,omitempty"`
	Trend      *Trend              `json:"trend,omitempty"`
}

// MinMax is a range.
type MinMax struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// LabelSet counts a label key's values across a group's goroutines.
type LabelSet map[string]int

// Trend is a group's history.
type Trend struct {
	Counts       []int   `json:"counts"`
	GrowthPerMin float64 `json:"growth_per_min"`
	Born         int     `json:"born"`
	Exited       int     `json:"exited"`
	Suspect      bool    `json:"suspect"`
	Rising       bool    `json:"rising"`
	Stuck        bool    `json:"stuck"`
	Reason       string  `json:"reason"`
	// NotSuspected says, for a group that gained goroutines without
	// being suspected (a rising one among them), the first rule of
	// suspicion it fails, with its figures.
	NotSuspected  string  `json:"not_suspected,omitempty"`
	Proven        bool    `json:"proven,omitempty"`
	OldestSeconds float64 `json:"oldest_seconds"`
	FirstSeen     string  `json:"first_seen"`
}

// BuildReport turns an Input into its JSON document.
func BuildReport(in Input) Report {
	r := Report{
		Schema:    Schema,
		Source:    stackparse.Clean(in.Source, 0),
		TakenAt:   in.TakenAt.UTC().Format(time.RFC3339),
		Total:     in.Snap.Total,
		Truncated: in.Snap.Truncated,
		Warnings:  CleanAll(in.Snap.Warnings),
		Input:     InputFormat{Format: in.Snap.Format.String(), Log: in.Snap.Log.String(), Lacks: in.Snap.Format.Missing()},
		Groups:    []Group{},
	}
	if in.History != nil {
		r.Verdict = string(in.History.Verdict())
		if w := in.History.Warning(); w != "" {
			r.Warnings = append(r.Warnings, w)
		}
	}
	for _, g := range in.groups() {
		jg := Group{
			Key:          g.Key,
			Count:        g.Count(),
			State:        g.State,
			States:       g.States,
			Leaked:       g.Leaked,
			WaitMinutes:  MinMax{g.WaitMin, g.WaitMax},
			BlockedAt:    g.BlockedAt(),
			CreatedBy:    g.CreatedBy,
			Frames:       g.Frames,
			GoroutineIDs: g.IDs(),
			WritesDump:   g.WritesDump(),
			Locked:       g.Locked,
			Elided:       g.Elided,
			Labels:       labelCounts(g),
		}
		if jg.Frames == nil {
			jg.Frames = []stackparse.Frame{}
		}
		if tr := in.trendOf(g); tr != nil {
			jt := &Trend{
				Counts:        make([]int, len(tr.History)),
				GrowthPerMin:  round1(tr.GrowthPerMin),
				Born:          tr.Born,
				Exited:        tr.Exited,
				Suspect:       tr.Suspect,
				Rising:        tr.Rising,
				Reason:        tr.Reason,
				NotSuspected:  tr.NotSuspected(),
				Stuck:         tr.Stuck,
				Proven:        tr.Proven,
				OldestSeconds: tr.OldestAge.Seconds(),
				FirstSeen:     tr.FirstSeen.UTC().Format(time.RFC3339),
			}
			for i, p := range tr.History {
				jt.Counts[i] = p.Count
			}
			jg.Trend = jt
		}
		r.Groups = append(r.Groups, jg)
	}
	return r
}

// JSON writes the snapshot as an indented gorotop/v1 document.
func JSON(w io.Writer, in Input) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(BuildReport(in))
}

// labelCounts counts label values per key across a group, nil without
// labels.
func labelCounts(g *stackparse.Group) map[string]LabelSet {
	var out map[string]LabelSet
	for _, gr := range g.Goroutines {
		for _, l := range gr.Labels {
			if out == nil {
				out = map[string]LabelSet{}
			}
			set := out[l.Key]
			if set == nil {
				set = LabelSet{}
				out[l.Key] = set
			}
			set[l.Value]++
		}
	}
	return out
}

// CleanAll makes each of ss safe to show, as stackparse.Clean does.
func CleanAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = stackparse.Clean(s, 0)
	}
	return out
}

func round1(f float64) float64 {
	if f < 0 {
		return -round1(-f)
	}
	return float64(int64(f*10+0.5)) / 10
}
