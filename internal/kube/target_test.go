package kube_test

import (
	"strings"
	"testing"

	"github.com/gorotop/gorotop/internal/kube"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want kube.Target
	}{
		{"k8s:deploy/api", kube.Target{Kind: kube.KindDeployment, Name: "api"}},
		{"k8s:deployments/api", kube.Target{Kind: kube.KindDeployment, Name: "api"}},
		{"k8s:sts/db-main", kube.Target{Kind: kube.KindStatefulSet, Name: "db-main"}},
		{"k8s:svc/web.v2", kube.Target{Kind: kube.KindService, Name: "web.v2"}},
		{"k8s:pod/api-7d9c-x2x4z", kube.Target{Kind: kube.KindPod, Name: "api-7d9c-x2x4z"}},
		{"k8s:po/api-0:6061", kube.Target{Kind: kube.KindPod, Name: "api-0", Port: "6061"}},
		{"k8s:deploy/api:debug -n prod", kube.Target{Kind: kube.KindDeployment, Name: "api", Port: "debug", Namespace: "prod"}},
		{"k8s:deploy/api --namespace=prod --context=arn:aws:eks:eu-west-1:123:cluster/main",
			kube.Target{Kind: kube.KindDeployment, Name: "api", Namespace: "prod", Context: "arn:aws:eks:eu-west-1:123:cluster/main"}},
		{"k8s:--context kind-dev -n shop sts/db", kube.Target{Kind: kube.KindStatefulSet, Name: "db", Namespace: "shop", Context: "kind-dev"}},
		{"k8s:-l app=api", kube.Target{Kind: kube.KindSelector, Selector: "app=api"}},
		{"k8s:-l=app=api,tier!=canary:7070", kube.Target{Kind: kube.KindSelector, Selector: "app=api,tier!=canary", Port: "7070"}},
		{"k8s:--selector app.kubernetes.io/name=api -n prod", kube.Target{Kind: kube.KindSelector, Selector: "app.kubernetes.io/name=api", Namespace: "prod"}},
		{"k8s:-l env in (a, b),!legacy -n prod", kube.Target{Kind: kube.KindSelector, Selector: "env in (a, b),!legacy", Namespace: "prod"}},
	} {
		got, err := kube.ParseTarget(tc.arg)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tc.arg, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", tc.arg, got, tc.want)
		}
		again, err := kube.ParseTarget(got.String())
		if err != nil || again != got {
			t.Errorf("ParseTarget(%q) = %+v, %v: String() does not read back", got.String(), again, err)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"deploy/api", "is not a Kubernetes target"},
		{"k8s:", "names nothing to watch"},
		{"k8s:api", `"api" is not KIND/NAME`},
		{"k8s:job/x", `gorotop watches deploy, sts, svc and pod, not "job"`},
		{"k8s:deploy/api pod/x", "names two things to watch"},
		{"k8s:deploy/api -l app=x", "names two things to watch"},
		{"k8s:deploy/API", `"API" is not a Kubernetes name`},
		{"k8s:deploy/api -n", "-n needs a value"},
		{"k8s:deploy/api -n Prod_1", `"Prod_1" is not a namespace name`},
		{"k8s:deploy/api --kubeconfig=/etc/x", "unknown flag --kubeconfig"},
		{"k8s:deploy/api:0", "port 0 is out of range"},
		{"k8s:deploy/api:70000", "port 70000 is out of range"},
		{"k8s:deploy/api:", "empty :PORT"},
		{"k8s:deploy/api:Debug_Port", "is neither a port number nor a container port name"},
		{"k8s:-n prod", "names no resource or selector"},
		{"k8s:-l app=$(rm)", "is not a label selector"},
		{"k8s:deploy/api --context a\x1bb", `context name "a\x1bb" holds control characters`},
		{"k8s:deploy/\x1b[2Jx", `"\x1b[2Jx" is not a Kubernetes name`},
	} {
		_, err := kube.ParseTarget(tc.arg)
		if err == nil {
			t.Errorf("ParseTarget(%q) succeeded", tc.arg)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTarget(%q): %v\nwant %q", tc.arg, err, tc.want)
		}
		if strings.ContainsAny(err.Error(), "\n\x1b") {
			t.Errorf("ParseTarget(%q): error %q is not one clean line", tc.arg, err)
		}
	}
}
