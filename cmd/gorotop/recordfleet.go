package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/record"
	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

// A recording of a Kubernetes target is a recording per pod, in the
// directory -o names (made if missing): DIR/NAME.rec for pod NAME, or
// NAME-2.rec, NAME-3.rec … when that name is taken (a pod replaced under
// the same name, or a recording of an earlier run): nothing is replaced.
// Each is a recording like any other, replayed with gorotop DIR/NAME.rec,
// or several at once, a tab each.

// recExt ends the name of each pod's recording.
const recExt = ".rec"

// recordFleet is record of a Kubernetes target.
func recordFleet(ctx context.Context, o options, target string, g stackparse.Grouping, ms *metricsServer, stderr io.Writer) error {
	dir := o.output
	if strings.HasSuffix(dir, recExt) {
		return usagef("record", "-o %s: %s is recorded pod by pod, a file each: give a directory, such as -o %s", dir, target, strings.TrimSuffix(dir, recExt)+"/")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("record into %s: %w", dir, err)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return usagef("record", "-o %s: %s is recorded pod by pod, a file each: give a directory", dir, target)
	}
	writers := map[*member]*record.Writer{}
	r := &roster{
		end:      time.Now().Add(o.forDur),
		keepGone: true,
		open: func(m *member) (*poll.Loop, error) {
			t, err := source.ParseTarget(m.addr)
			if err != nil {
				return nil, err
			}
			w, err := createFree(dir, m.pod.Name)
			if err != nil {
				return nil, err
			}
			src, err := source.Open(t, o.sourceOptions(nil))
			if err != nil {
				w.Close()
				w.Remove()
				return nil, err
			}
			writers[m] = w
			fmt.Fprintf(stderr, "%s gorotop: %s: recording into %s\n", time.Now().Format("15:04:05"), m.name, w.Path())
			// Full dumps only, as record of one target takes.
			return poll.NewLoop(recordingSource{source.Tee(src, w), w}, poll.Options{Interval: o.interval, MaxShare: float64(o.maxStall), Groupings: []stackparse.Grouping{g}, FullOnly: true}), nil
		},
		each: func(m *member, s poll.Sample, err error) error {
			if err == nil {
				ms.observe(m.name, s)
			}
			return progress(stderr, writers[m], m.loop.Source(), s, err, o.maxStall)
		},
		event: lineLog(stderr),
		left:  func(m *member) { ms.forget(m.name) },
	}
	err := runFleets(ctx, r, []string{target}, false)
	if errors.Is(err, context.Canceled) {
		err = nil // interrupted: what was recorded stays
	}
	recorded := 0
	for _, m := range r.all() {
		w := writers[m]
		if w.Count() == 0 {
			w.Remove()
			reason := "no goroutine dump recorded"
			if m.err != nil {
				reason += ": " + oneLine(m.err.Error())
			}
			fmt.Fprintf(stderr, "gorotop: %s: %s\n", m.name, reason)
			continue
		}
		recorded++
		fmt.Fprintf(stderr, "recorded %s of %s in %s: %s of dumps in %s (%.1f %%)\n",
			snapshots(w.Count()), stackparse.Clean(m.name, 0), w.Path(), human.ProgressSize(w.Raw()), human.ProgressSize(w.Size()), 100*float64(w.Size())/float64(max(w.Raw(), 1)))
	}
	if err == nil && recorded == 0 {
		err = fmt.Errorf("%s: no goroutine dump recorded from any pod", target)
	}
	return err
}

// createFree creates the recording of pod in dir under the first free
// name: NAME.rec, NAME-2.rec, …
func createFree(dir, pod string) (*record.Writer, error) {
	for i := 1; ; i++ {
		name := pod
		if i > 1 {
			name += "-" + strconv.Itoa(i)
		}
		w, err := record.Create(filepath.Join(dir, name+recExt), false)
		if !errors.Is(err, record.ErrExists) || i >= 1000 {
			return w, err
		}
	}
}
