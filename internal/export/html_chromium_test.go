package export

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The browser tests render the HTML report in headless Chromium. They
// skip when no Chromium is installed, unless GOROTOP_CHROMIUM=1 makes that
// a failure (CI sets it); -short skips them unless it is set.
// GOROTOP_CHROMIUM may also name the binary.
// GOROTOP_SCREENSHOTS=DIR keeps the screenshots there for people to look
// at.

// chromiumBinary returns the Chromium to run, or skips the test.
func chromiumBinary(t *testing.T) string {
	t.Helper()
	env := os.Getenv("GOROTOP_CHROMIUM")
	candidates := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	if env != "" && env != "1" {
		candidates = []string{env}
	}
	if testing.Short() && env == "" {
		t.Skip("-short: browser tests skipped")
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if env != "" {
		t.Fatalf("GOROTOP_CHROMIUM=%s but no Chromium found (apt-get install -y chromium)", env)
	}
	t.Skip("no Chromium on PATH: browser tests skipped (apt-get install -y chromium; GOROTOP_CHROMIUM=1 makes this a failure)")
	return ""
}

// runChromium runs headless Chromium on a file with extra flags and
// returns its standard output.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--allow-file-access-from-files",
		"--user-data-dir=" + t.TempDir(),
	}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	// Without a session bus Chromium waits for one, seconds per run.
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=disabled:")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// fileURL returns the file:// URL of a path.
func fileURL(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return "file://" + filepath.ToSlash(abs)
}

// framePage writes a page beside report that shows it in a frame of the
// given size and, once it has loaded, records on its own <body> the
// report's scroll width and the elements sticking out of the frame
// (stacks scroll inside their box and do not count). Headless Chromium
// lays a window out at least 500 px wide, so a phone is emulated this way.
func framePage(t *testing.T, report, name string, width, height int) string {
	t.Helper()
	page := `<!DOCTYPE html><html><head><style>html,body{margin:0}iframe{border:0;display:block}</style></head><body>
<iframe id="f" src="` + filepath.Base(report) + `" width="` + itoa(width) + `" height="` + itoa(height) + `"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument, w = this.contentWindow.innerWidth, wide = [];
  d.querySelectorAll("body *").forEach(function (el) {
    if (el.closest(".frames")) return;
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1) wide.push(el.tagName.toLowerCase() + "." + el.className);
  });
  document.body.dataset.inner = w;
  document.body.dataset.scroll = d.documentElement.scrollWidth;
  document.body.dataset.wide = wide.slice(0, 10).join(" ");
});
</script></body></html>`
	path := filepath.Join(filepath.Dir(report), "frame-"+name+".html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// screenshotDir is where screenshots go: GOROTOP_SCREENSHOTS, or a
// temporary directory.
func screenshotDir(t *testing.T) string {
	if dir := os.Getenv("GOROTOP_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// checkScreenshot fails unless path is a PNG of the given size with
// something drawn on it.
func checkScreenshot(t *testing.T, path string, width, height int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Errorf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), width, height)
	}
	if n := colours(img); n < 8 {
		t.Errorf("%s has %d colours: blank?", path, n)
	}
}

// colours counts the distinct colours of an image, up to 1000.
func colours(img image.Image) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(seen) < 1000; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
		}
	}
	return len(seen)
}

func TestHTMLInChromium(t *testing.T) {
	bin := chromiumBinary(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "report.html")
	if err := os.WriteFile(report, []byte(renderHTML(t, richInput(t))), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("dom", func(t *testing.T) {
		t.Parallel()
		dom := string(runChromium(t, bin, "--dump-dom", fileURL(t, report)))
		classes := sectionClasses(dom)
		if len(classes) != 5 || classes[0] != "group proven" || classes[1] != "group suspect" {
			t.Errorf("sections in the DOM: %q, want 5, the flagged ones first", classes)
		}
		if n := strings.Count(dom, "<svg"); n != 6 {
			t.Errorf("%d <svg> in the DOM, want 6", n)
		}
		if !strings.Contains(dom, `<polyline class="line" points="0,95 `) {
			t.Error("the leak's chart is not in the DOM")
		}
		if !strings.Contains(dom, "▶ blocked here") {
			t.Error("no blocking frame marked in the DOM")
		}
	})

	t.Run("escapes", func(t *testing.T) {
		t.Parallel()
		evil := filepath.Join(dir, "evil.html")
		if err := os.WriteFile(evil, []byte(renderHTML(t, Input{Source: "x<script>alert(0)</script>", TakenAt: reportAt, Snap: evilSnapshot()})), 0o644); err != nil {
			t.Fatal(err)
		}
		dom := string(runChromium(t, bin, "--dump-dom", fileURL(t, evil)))
		if n := strings.Count(dom, "<script"); n != 1 {
			t.Errorf("%d <script> elements in the DOM, want 1", n)
		}
		for _, bad := range []string{"<img", "<svg onload", "<b>", "<i>", `<a href="javascript`} {
			if strings.Contains(dom, bad) {
				t.Errorf("the DOM holds %q from the dump", bad)
			}
		}
	})

	shots := screenshotDir(t)
	for _, v := range []struct {
		name          string
		width, height int
		flags         []string
	}{
		{"phone", 390, 844, nil},
		{"desktop", 1280, 900, nil},
		{"phone-dark", 390, 844, []string{"--force-dark-mode", "--blink-settings=preferredColorScheme=0"}},
		{"desktop-dark", 1280, 900, []string{"--force-dark-mode", "--blink-settings=preferredColorScheme=0"}},
	} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			frame := framePage(t, report, v.name, v.width, v.height)
			size := "--window-size=" + itoa(v.width) + "," + itoa(v.height)
			dom := string(runChromium(t, bin, append(v.flags, size, "--dump-dom", fileURL(t, frame))...))
			m := regexp.MustCompile(`data-inner="(\d+)" data-scroll="(\d+)" data-wide="([^"]*)"`).FindStringSubmatch(dom)
			if m == nil {
				t.Fatalf("the frame page recorded no widths:\n%s", dom)
			}
			if m[1] != itoa(v.width) || m[2] != m[1] || m[3] != "" {
				t.Errorf("at %d px the page is %s px wide, inner %s; sticking out: %s", v.width, m[2], m[1], m[3])
			}
			png := filepath.Join(shots, "report-"+v.name+".png")
			runChromium(t, bin, append(v.flags, size, "--screenshot="+png, fileURL(t, frame))...)
			checkScreenshot(t, png, v.width, v.height)
		})
	}
}
