package kube

import (
	"strings"
	"testing"
)

// TestExplain turns what kubectl printed, as users have reported it from
// several kubectl releases, into one line that says what to do.
func TestExplain(t *testing.T) {
	k := &kubectl{target: Target{Kind: KindDeployment, Name: "api", Namespace: "prod"}}
	for _, tc := range []struct {
		name, stderr, pod string
		want              []string
	}{
		{"refused, socat (kubectl 1.23)", "Handling connection for 5432\n" +
			"E0125 16:35:32.441184   17073 portforward.go:400] an error occurred forwarding 5432 -> 5432: error forwarding port 5432 to pod b4b99448ef949d8f4a2f7960edf5d25eaf0e3c7b82bb1fcd525c7f30ad2830d7, uid : exit status 1: 2022/01/25 15:35:32 socat[45088] E connect(5, AF=2 127.0.0.1:5432, 16): Connection refused\n" +
			"error: lost connection to pod\n", "api-1",
			[]string{"nothing answers on the pprof port in the pod", "Connection refused", "k8s:deploy/api:PORT -n prod"}},
		{"refused, containerd, structured log", `E1107 10:00:00.000000   1234 portforward.go:424] "Unhandled Error" err="an error occurred forwarding 40123 -> 6060: error forwarding port 6060 to pod 0a1b2c, uid : failed to execute portforward in network namespace \"/var/run/netns/cni-c8c76b9d-cf06-e7d9-c527-4df5ff50483a\": failed to connect to localhost:6060 inside namespace \"0a1b2c\", IPv4: dial tcp4 127.0.0.1:6060: connect: connection refused IPv6 dial tcp6 [::1]:6060: connect: connection refused "` + "\nerror: lost connection to pod\n", "api-1",
			[]string{"nothing answers on the pprof port", " … ", "connect: connection refused"}},
		{"sandbox gone", "E0704 11:58:28.913863   80574 portforward.go:406] an error occurred forwarding 8080 -> 8080: error forwarding port 8080 to pod 0273cdedf829, uid : failed to find sandbox \"0273cdedf829\" in store: not found\nE0704 11:58:28.915076   80574 portforward.go:234] lost connection to pod\n", "api-1",
			[]string{"the pod is gone", "not found"}},
		{"apiserver refused", "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n", "api-1",
			[]string{"cannot reach the cluster", "localhost:8080"}},
		{"no context", "error: context \"prod\" does not exist\n", "",
			[]string{"kubectl knows no context"}},
		{"credentials", "error: the server has asked for the client to provide credentials\n", "",
			[]string{"not logged in to the cluster"}},
		{"not running", "error: unable to forward port because pod is not running. Current status=Pending\n", "api-1",
			[]string{"not running yet", "Current status=Pending"}},
		{"control bytes", "error: \x1b[31mboom\x1b[0m\r\x07\n", "",
			[]string{`kubectl: error: \x1b[31mboom\x1b[0m`}},
		{"silent", "\n  \n", "", []string{"kubectl failed and said nothing"}},
	} {
		got := k.explain(tc.stderr, tc.pod)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q\nwant %q", tc.name, got, w)
			}
		}
		if strings.ContainsAny(got, "\n\r\x1b\x07") || len([]rune(got)) > 600 {
			t.Errorf("%s: %q is not one short clean line", tc.name, got)
		}
	}
}

func TestBrief(t *testing.T) {
	short := strings.Repeat("a", 243)
	if brief(short) != short {
		t.Errorf("brief cut a line of %d runes", len(short))
	}
	long := strings.Repeat("é", 150) + "MIDDLE" + strings.Repeat("z", 150)
	got := brief(long)
	if strings.Contains(got, "MIDDLE") || !strings.HasPrefix(got, strings.Repeat("é", 100)+" … ") || !strings.HasSuffix(got, strings.Repeat("z", 140)) {
		t.Errorf("brief(%d runes) = %q: want its first 100 and last 140 runes", len([]rune(long)), got)
	}
}
