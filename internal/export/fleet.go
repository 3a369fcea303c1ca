package export

import (
	"encoding/json"
	"io"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// FleetSchema names the JSON format of a check of several targets (the
// pods of a Kubernetes target).
const FleetSchema = "gorotop/fleet/v1"

// FleetReport is the JSON document of a check of the pods of a
// Kubernetes target: the verdict on them all, and each pod's.
type FleetReport struct {
	Schema string `json:"schema"`
	// Target is the Kubernetes target as given, in its canonical form.
	Target string `json:"target"`
	// Verdict is the worst of the pods' verdicts (leak, rising, then
	// clean), or not-judged when no pod was judged.
	Verdict string      `json:"verdict"`
	Pods    []PodReport `json:"pods"`
}

// PodReport is one pod's part of a FleetReport.
type PodReport struct {
	// Pod is NAMESPACE/NAME; UID tells it from a pod that replaced it
	// under the same name; Target names it as gorotop reads it
	// (k8s:pod/NAME -n NAMESPACE).
	Pod    string `json:"pod"`
	UID    string `json:"uid"`
	Target string `json:"target"`
	// Verdict is the tracker's verdict on the pod's last snapshot (leak,
	// rising, not-judged or clean), or "error" when no poll of it
	// succeeded (Error says why).
	Verdict string `json:"verdict"`
	// Joined is when gorotop began to watch it, Left when it went
	// (deleted, replaced, stopped running) before the check ended;
	// WatchedSeconds is how long it was watched.
	Joined         string  `json:"joined"`
	Left           string  `json:"left,omitempty"`
	WatchedSeconds float64 `json:"watched_seconds"`
	Error          string  `json:"error,omitempty"`
	// Report is its last snapshot with every group's trend (gorotop/v1).
	Report *Report `json:"report,omitempty"`
}

// Pod describes one pod of a fleet for a FleetReport.
type Pod struct {
	Name, UID, Target string
	Verdict           string
	Joined, Left      time.Time
	Watched           time.Duration
	Err               error
	// In is its last snapshot and history; In.Snap is nil when no poll
	// succeeded.
	In Input
}

// BuildFleetReport makes the JSON document of a check of a fleet.
func BuildFleetReport(target, verdict string, pods []Pod) FleetReport {
	r := FleetReport{Schema: FleetSchema, Target: stackparse.Clean(target, 0), Verdict: verdict, Pods: []PodReport{}}
	for _, p := range pods {
		pr := PodReport{
			Pod:            stackparse.Clean(p.Name, 0),
			UID:            stackparse.Clean(p.UID, 0),
			Target:         stackparse.Clean(p.Target, 0),
			Verdict:        p.Verdict,
			Joined:         p.Joined.UTC().Format(time.RFC3339),
			WatchedSeconds: p.Watched.Round(time.Millisecond).Seconds(),
		}
		if !p.Left.IsZero() {
			pr.Left = p.Left.UTC().Format(time.RFC3339)
		}
		if p.Err != nil {
			pr.Error = stackparse.Clean(p.Err.Error(), 0)
		}
		if p.In.Snap != nil {
			rep := BuildReport(p.In)
			pr.Report = &rep
		}
		r.Pods = append(r.Pods, pr)
	}
	return r
}

// FleetJSON writes a check of a fleet as an indented gorotop/fleet/v1
// document.
func FleetJSON(w io.Writer, target, verdict string, pods []Pod) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(BuildFleetReport(target, verdict, pods))
}
