// Package kubeworld is the cluster that testdata/kubectl, the stand-in
// for kubectl in tests, answers from: a test writes a World to a
// directory, points $GOROTOP_FAKE_KUBE at it and puts the stand-in on
// PATH; every kubectl run reads the World again.
package kubeworld

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Env names the directory that holds world.json, where the stand-in also
// appends each run's process ID and arguments to calls.log.
const Env = "GOROTOP_FAKE_KUBE"

// File and Calls are the names of the world and the log in that
// directory.
const (
	File  = "world.json"
	Calls = "calls.log"
)

// World is what the cluster holds, and whom it refuses.
type World struct {
	// CurrentContext is the context used without --context; Contexts map
	// each context to its default namespace.
	CurrentContext string            `json:"currentContext"`
	Contexts       map[string]string `json:"contexts"`
	// User is the user named in Forbidden errors.
	User string `json:"user"`
	// Unauthorized makes every request fail as with expired credentials.
	Unauthorized bool `json:"unauthorized"`
	// Unreachable, when set, is the error of every request: the API
	// server cannot be reached.
	Unreachable string `json:"unreachable"`
	// Forbidden are namespaces the user may not read; ForbidForward are
	// namespaces where the user may read pods but not port-forward.
	Forbidden     []string `json:"forbidden"`
	ForbidForward []string `json:"forbidForward"`
	// Objects are pods, deployments, statefulsets and services, as the
	// API server serves them.
	Objects []map[string]any `json:"objects"`
	// Endpoints map "NAMESPACE/POD:PORT" to the address a port-forward to
	// that pod's port reaches: a real local process.
	Endpoints map[string]string `json:"endpoints"`
}

// Read reads the World in dir.
func Read(dir string) (*World, error) {
	b, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		return nil, err
	}
	w := &World{}
	if err := json.Unmarshal(b, w); err != nil {
		return nil, fmt.Errorf("%s: %w", File, err)
	}
	return w, nil
}

// Write replaces the World in dir at once (a temporary file renamed), as
// kubectl runs may read it at any time.
func (w *World) Write(dir string) error {
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, File+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, File))
}
