package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The parts of the objects kubectl prints that gorotop reads.
type (
	objectMeta struct {
		Name              string  `json:"name"`
		Namespace         string  `json:"namespace"`
		UID               string  `json:"uid"`
		DeletionTimestamp *string `json:"deletionTimestamp"`
	}
	containerPort struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	}
	podObject struct {
		Metadata objectMeta `json:"metadata"`
		Spec     struct {
			Containers []struct {
				Ports []containerPort `json:"ports"`
			} `json:"containers"`
		} `json:"spec"`
		Status struct {
			Phase string `json:"phase"`
		} `json:"status"`
	}
	podList struct {
		Kind  string      `json:"kind"`
		Items []podObject `json:"items"`
	}
	labelSelector struct {
		MatchLabels      map[string]string `json:"matchLabels"`
		MatchExpressions []struct {
			Key      string   `json:"key"`
			Operator string   `json:"operator"`
			Values   []string `json:"values"`
		} `json:"matchExpressions"`
	}
	workload struct { // a Deployment or a StatefulSet
		Spec struct {
			Selector *labelSelector `json:"selector"`
		} `json:"spec"`
	}
	servicePort struct {
		Name       string          `json:"name"`
		Port       int             `json:"port"`
		TargetPort json.RawMessage `json:"targetPort"` // a number or a name
	}
	service struct {
		Spec struct {
			Selector map[string]string `json:"selector"`
			Ports    []servicePort     `json:"ports"`
		} `json:"spec"`
	}
)

// Pod is one pod of a fleet.
type Pod struct {
	Name, Namespace string
	// UID tells a pod from the one that replaced it under the same name
	// (a StatefulSet's pods keep their names).
	UID string
}

// String names the pod as NAMESPACE/NAME.
func (p Pod) String() string { return p.Namespace + "/" + p.Name }

// member is a pod as a listing found it.
type member struct {
	Pod
	running bool // phase Running and not being deleted
	phase   string
	ports   []containerPort
}

// selectorString writes a workload's label selector in kubectl's -l
// syntax.
func (s *labelSelector) String() (string, error) {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.MatchLabels)) {
		parts = append(parts, k+"="+s.MatchLabels[k])
	}
	for _, e := range s.MatchExpressions {
		switch e.Operator {
		case "In":
			parts = append(parts, e.Key+" in ("+strings.Join(e.Values, ",")+")")
		case "NotIn":
			parts = append(parts, e.Key+" notin ("+strings.Join(e.Values, ",")+")")
		case "Exists":
			parts = append(parts, e.Key)
		case "DoesNotExist":
			parts = append(parts, "!"+e.Key)
		default:
			return "", fmt.Errorf("unknown selector operator %s", quote(e.Operator))
		}
	}
	return strings.Join(parts, ","), nil
}

// resolve finds the label selector behind the target, and the service's
// ports for a service. A pod target has none: it is listed by name.
func (k *kubectl) resolve(ctx context.Context) (selector string, svcPorts []servicePort, err error) {
	t := k.target
	switch t.Kind {
	case KindSelector:
		return t.Selector, nil, nil
	case KindPod:
		return "", nil, nil
	}
	out, err := k.get(ctx, t.Kind.String(), t.Name)
	if err != nil {
		return "", nil, err
	}
	bad := func(why string) error {
		return &Error{Msg: fmt.Sprintf("%s in %s: %s", t.what(), t.where(), why)}
	}
	if t.Kind == KindService {
		var s service
		if err := json.Unmarshal(out, &s); err != nil {
			return "", nil, bad("kubectl printed something that is not a service: " + clean(err.Error()))
		}
		if len(s.Spec.Selector) == 0 {
			return "", nil, bad("the service has no selector, so gorotop cannot find its pods: name them (k8s:pod/NAME) or give a label selector (k8s:-l …)")
		}
		sel := labelSelector{MatchLabels: s.Spec.Selector}
		str, err := sel.String()
		return str, s.Spec.Ports, err
	}
	var w workload
	if err := json.Unmarshal(out, &w); err != nil {
		return "", nil, bad("kubectl printed something that is not a " + t.Kind.String() + ": " + clean(err.Error()))
	}
	if w.Spec.Selector == nil {
		return "", nil, bad("it has no label selector")
	}
	str, err := w.Spec.Selector.String()
	if err != nil {
		return "", nil, bad(err.Error())
	}
	if str == "" {
		return "", nil, bad("its label selector is empty (it would match every pod)")
	}
	return str, nil, nil
}

// list returns the target's pods as they are now. A pod target that is
// gone is an empty list.
func (k *kubectl) list(ctx context.Context, selector string) ([]member, error) {
	var items []podObject
	if k.target.Kind == KindPod {
		out, err := k.get(ctx, "pod", k.target.Name)
		if errors.Is(err, errNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		var p podObject
		if err := json.Unmarshal(out, &p); err != nil {
			return nil, &Error{Msg: "kubectl get pod printed something that is not a pod: " + clean(err.Error())}
		}
		items = []podObject{p}
	} else {
		out, err := k.get(ctx, "pods", "--selector="+selector)
		if err != nil {
			return nil, err
		}
		var l podList
		if err := json.Unmarshal(out, &l); err != nil {
			return nil, &Error{Msg: "kubectl get pods printed something that is not a list of pods: " + clean(err.Error())}
		}
		items = l.Items
	}
	ms := make([]member, 0, len(items))
	for _, p := range items {
		if p.Metadata.Name == "" || p.Metadata.UID == "" {
			continue
		}
		var ports []containerPort
		for _, c := range p.Spec.Containers {
			ports = append(ports, c.Ports...)
		}
		ms = append(ms, member{
			Pod:     Pod{Name: p.Metadata.Name, Namespace: p.Metadata.Namespace, UID: p.Metadata.UID},
			running: p.Status.Phase == "Running" && p.Metadata.DeletionTimestamp == nil,
			phase:   p.Status.Phase,
			ports:   ports,
		})
	}
	return ms, nil
}

// noPods explains a listing without a running pod.
func (k *kubectl) noPods(ms []member, selector string) *Error {
	t := k.target
	if len(ms) == 0 {
		hint := "is it scaled to zero?"
		look := "kubectl get pods -l '" + selector + "'"
		if t.Kind == KindPod {
			hint, look = "was it deleted or replaced? watch its workload instead (k8s:deploy/NAME)", "kubectl get pods"
		}
		return &Error{Msg: fmt.Sprintf("no pods for %s in %s: %s (%s)", t.what(), t.where(), hint, look)}
	}
	phases := map[string]int{}
	for _, m := range ms {
		ph := m.phase
		if m.phase == "Running" {
			ph = "Terminating"
		}
		phases[clean(ph)]++
	}
	var says []string
	for _, ph := range slices.Sorted(maps.Keys(phases)) {
		says = append(says, fmt.Sprintf("%d %s", phases[ph], ph))
	}
	return &Error{Msg: fmt.Sprintf("no running pod for %s in %s (%s): none to watch yet", t.what(), t.where(), strings.Join(says, ", "))}
}

// port returns the pod port to forward to, as the target and the pod
// say (see the package doc).
func (k *kubectl) port(m member, svcPorts []servicePort) (int, error) {
	want := k.target.Port
	if want == "" {
		for _, p := range m.ports {
			if p.Name == PortName && p.ContainerPort > 0 {
				return p.ContainerPort, nil
			}
		}
		return DefaultPort, nil
	}
	if k.target.Kind == KindService {
		for _, sp := range svcPorts {
			if sp.Name != want && strconv.Itoa(sp.Port) != want {
				continue
			}
			var n int
			var name string
			switch {
			case len(sp.TargetPort) == 0:
				return sp.Port, nil
			case json.Unmarshal(sp.TargetPort, &n) == nil && n > 0:
				return n, nil
			case json.Unmarshal(sp.TargetPort, &name) == nil && name != "":
				want = name
			}
			break
		}
	}
	if n, err := strconv.Atoi(want); err == nil {
		return n, nil
	}
	var have []string
	for _, p := range m.ports {
		if p.Name == want && p.ContainerPort > 0 {
			return p.ContainerPort, nil
		}
		if p.Name != "" {
			have = append(have, fmt.Sprintf("%s=%d", clean(p.Name), p.ContainerPort))
		}
	}
	ports := "it names none"
	if len(have) > 0 {
		ports = "its ports: " + strings.Join(have, ", ")
	}
	return 0, &Error{Pod: m.Name, Msg: fmt.Sprintf("no container port named %s (%s): name another or give a number (%s)", quote(want), ports, k.target.withPort("PORT"))}
}
