// Package kube watches the pods behind a Kubernetes target through the
// user's own kubectl: it finds the pods with `kubectl get … -o json` and
// reaches each one through `kubectl port-forward`, so the user's
// kubeconfig, contexts and auth plugins work as they do for kubectl, and
// no cluster client library is built in.
//
// # Targets
//
// A target is "k8s:" followed by what one would tell kubectl, as one
// argument (quote it when it holds spaces):
//
//	k8s:deploy/api                      every pod of a Deployment
//	k8s:sts/db  k8s:svc/web  k8s:pod/api-7d9c-x2x4z
//	'k8s:-l app=api,tier!=canary'       every pod a label selector matches
//	'k8s:deploy/api -n prod --context staging'
//	k8s:deploy/api:6061                 the pprof port, a number …
//	k8s:deploy/api:debug                … or the name of a container port
//
// Kinds are written as kubectl writes them: deploy, deployment, sts,
// statefulset, svc, service, pod, po (plurals too). -n/--namespace and
// --context default to the current context's. A label selector runs up
// to the next word that starts with "-", so set-based selectors with
// spaces ("env in (a, b)") need no more quoting than kubectl's.
//
// The pprof port defaults to the container port named "pprof" when a pod
// declares one, and to 6060 (net/http/pprof's customary port) otherwise.
// ":PORT" after the resource or the selector names it: a number, or the
// name of a container port. For a service, as kubectl port-forward does,
// a port that names one of the service's ports (by name or number) means
// its targetPort; any other is a container port.
//
// # Fleets
//
// Start resolves the target once (a workload's or service's label
// selector) and lists its pods; a Fleet then re-lists them every few
// seconds and keeps one `kubectl port-forward pod/NAME :PORT` running per
// running pod, each behind a local address of its own that stays the same
// while the pod lives (see Fleet and Event). All kubectl children end
// with the Fleet, and with this process however it ends (see Fleet.Close).
package kube

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gorotop/gorotop/stackparse"
)

// Prefix starts every Kubernetes target.
const Prefix = "k8s:"

// DefaultPort is the pprof port when neither the target nor the pod names
// one: net/http/pprof's customary port.
const DefaultPort = 6060

// PortName is the container port name that, when a pod declares it, is
// the pprof port by default.
const PortName = "pprof"

// Kind is what a Target names.
type Kind int

// The kinds of Target.
const (
	KindDeployment Kind = iota + 1
	KindStatefulSet
	KindService
	KindPod
	KindSelector // a label selector (-l)
)

// String names the kind as kubectl's resource type.
func (k Kind) String() string {
	switch k {
	case KindDeployment:
		return "deployment"
	case KindStatefulSet:
		return "statefulset"
	case KindService:
		return "service"
	case KindPod:
		return "pod"
	case KindSelector:
		return "selector"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// short is the kind as users write it in targets.
func (k Kind) short() string {
	switch k {
	case KindDeployment:
		return "deploy"
	case KindStatefulSet:
		return "sts"
	case KindService:
		return "svc"
	}
	return k.String()
}

// kinds maps what kubectl accepts for each resource type to its Kind.
var kinds = map[string]Kind{
	"deploy": KindDeployment, "deployment": KindDeployment, "deployments": KindDeployment,
	"sts": KindStatefulSet, "statefulset": KindStatefulSet, "statefulsets": KindStatefulSet,
	"svc": KindService, "service": KindService, "services": KindService,
	"po": KindPod, "pod": KindPod, "pods": KindPod,
}

// Target is a parsed Kubernetes target.
type Target struct {
	Kind Kind
	// Name is the resource's name; empty for a Selector.
	Name string
	// Selector is the label selector of a Selector target.
	Selector string
	// Namespace and Context are kubectl's -n and --context; empty means
	// the current context's.
	Namespace, Context string
	// Port is the pprof port as given: a number, a port name, or empty
	// for the default (see the package doc).
	Port string
}

// IsTarget reports whether arg is a Kubernetes target (it starts with
// "k8s:"), well formed or not.
func IsTarget(arg string) bool { return strings.HasPrefix(arg, Prefix) }

// usage is the end of every parse error: what a target looks like.
const usage = "write k8s:deploy/NAME, k8s:sts/NAME, k8s:svc/NAME, k8s:pod/NAME or 'k8s:-l SELECTOR', then -n NAMESPACE, --context NAME, :PORT as needed"

// ParseTarget parses a "k8s:…" target (see the package doc). Its errors
// are one line that says what is wrong and what a target looks like.
func ParseTarget(arg string) (Target, error) {
	rest, ok := strings.CutPrefix(arg, Prefix)
	if !ok {
		return Target{}, fmt.Errorf("%s is not a Kubernetes target: %s", quote(arg), usage)
	}
	var t Target
	words := strings.Fields(rest)
	if len(words) == 0 {
		return Target{}, errors.New("k8s: names nothing to watch: " + usage)
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, value, hasValue := strings.Cut(w, "=")
		flag := strings.HasPrefix(w, "-")
		if flag && !hasValue {
			name = w
		}
		// value returns the flag's value: after "=" or the next word.
		next := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(words) {
				return "", fmt.Errorf("k8s target %s: %s needs a value", quote(arg), name)
			}
			i++
			return words[i], nil
		}
		var err error
		switch {
		case flag && (name == "-n" || name == "--namespace"):
			t.Namespace, err = next()
		case flag && name == "--context":
			t.Context, err = next()
		case flag && (name == "-l" || name == "--selector"):
			if t.Kind != 0 {
				return Target{}, fmt.Errorf("k8s target %s names two things to watch: %s", quote(arg), usage)
			}
			var sel string
			if sel, err = next(); err == nil {
				// The selector runs on to the next flag.
				for i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") {
					i++
					sel += " " + words[i]
				}
				t.Kind, t.Selector = KindSelector, sel
			}
		case flag:
			return Target{}, fmt.Errorf("k8s target %s: unknown flag %s: %s", quote(arg), clean(name), usage)
		default:
			if t.Kind != 0 {
				return Target{}, fmt.Errorf("k8s target %s names two things to watch: %s", quote(arg), usage)
			}
			kind, name, ok := strings.Cut(w, "/")
			if !ok {
				return Target{}, fmt.Errorf("k8s target %s: %s is not KIND/NAME: %s", quote(arg), quote(w), usage)
			}
			k, known := kinds[strings.ToLower(kind)]
			if !known {
				return Target{}, fmt.Errorf("k8s target %s: gorotop watches deploy, sts, svc and pod, not %s: %s", quote(arg), quote(kind), usage)
			}
			t.Kind, t.Name = k, name
		}
		if err != nil {
			return Target{}, err
		}
	}
	if t.Kind == 0 {
		return Target{}, fmt.Errorf("k8s target %s names no resource or selector: %s", quote(arg), usage)
	}
	if err := t.splitPort(); err != nil {
		return Target{}, fmt.Errorf("k8s target %s: %v", quote(arg), err)
	}
	if err := t.validate(); err != nil {
		return Target{}, fmt.Errorf("k8s target %s: %v", quote(arg), err)
	}
	return t, nil
}

// splitPort moves a ":PORT" suffix of the name or selector into Port.
// Neither names nor selectors can hold a colon.
func (t *Target) splitPort() error {
	s := &t.Name
	if t.Kind == KindSelector {
		s = &t.Selector
	}
	i := strings.LastIndexByte(*s, ':')
	if i < 0 {
		return nil
	}
	*s, t.Port = strings.TrimSpace((*s)[:i]), strings.TrimSpace((*s)[i+1:])
	if t.Port == "" {
		return errors.New("empty :PORT: give a number or a container port name")
	}
	return nil
}

var (
	// dnsSubdomain is what Kubernetes allows in object names.
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// dnsLabel is what Kubernetes allows in namespace names.
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// portName is an IANA service name, what container ports are named.
	portName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// selectorChars are the characters label selectors are made of.
	selectorChars = regexp.MustCompile(`^[-A-Za-z0-9_./=!,() ]+$`)
)

// validate checks each part against what Kubernetes allows, so that a
// typing slip gets a clear message before kubectl runs.
func (t Target) validate() error {
	switch {
	case t.Kind != KindSelector && (len(t.Name) > 253 || !dnsSubdomain.MatchString(t.Name)):
		return fmt.Errorf("%s is not a Kubernetes name (lower-case letters, digits, '-' and '.')", quote(t.Name))
	case t.Kind == KindSelector && !selectorChars.MatchString(t.Selector):
		return fmt.Errorf("%s is not a label selector (like app=api,tier!=canary or 'env in (a, b)')", quote(t.Selector))
	case t.Namespace != "" && (len(t.Namespace) > 63 || !dnsLabel.MatchString(t.Namespace)):
		return fmt.Errorf("%s is not a namespace name (lower-case letters, digits and '-')", quote(t.Namespace))
	case t.Context != "" && clean(t.Context) != t.Context:
		return fmt.Errorf("context name %s holds control characters", quote(t.Context))
	}
	if t.Port != "" {
		if n, err := strconv.Atoi(t.Port); err == nil {
			if n < 1 || n > 65535 {
				return fmt.Errorf("port %d is out of range 1-65535", n)
			}
		} else if len(t.Port) > 15 || !portName.MatchString(t.Port) || strings.Trim(t.Port, "0123456789-") == "" {
			return fmt.Errorf("%s is neither a port number nor a container port name", quote(t.Port))
		}
	}
	return nil
}

// String writes the target back in its canonical form, as ParseTarget
// reads it.
func (t Target) String() string {
	var b strings.Builder
	b.WriteString(Prefix)
	if t.Kind == KindSelector {
		b.WriteString("-l " + t.Selector)
	} else {
		b.WriteString(t.Kind.short() + "/" + t.Name)
	}
	if t.Port != "" {
		b.WriteString(":" + t.Port)
	}
	if t.Namespace != "" {
		b.WriteString(" -n " + t.Namespace)
	}
	if t.Context != "" {
		b.WriteString(" --context " + t.Context)
	}
	return b.String()
}

// what names the target in messages: "deploy/api", "pods with app=api".
func (t Target) what() string {
	if t.Kind == KindSelector {
		return "pods with " + t.Selector
	}
	return t.Kind.short() + "/" + t.Name
}

// where names the namespace in messages.
func (t Target) where() string {
	ns := "the current context's namespace"
	if t.Namespace != "" {
		ns = "namespace " + t.Namespace
	}
	if t.Context != "" {
		ns += " of context " + t.Context
	}
	return ns
}

// clean makes text from the command line or from kubectl safe to print
// on one line.
func clean(s string) string { return stackparse.Clean(s, 200) }

// quote quotes text from the command line or from kubectl, with Go's
// escapes for control characters, cut at 200 runes.
func quote(s string) string {
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return strconv.Quote(s)
}
