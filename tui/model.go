package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

const (
	defaultInterval = 2 * time.Second
	firstBackoff    = time.Second
	maxBackoff      = 30 * time.Second
	noticeFor       = 8 * time.Second
)

// dataset is what one grouping has gathered: its tracker and the last
// sample. Switching grouping and back keeps each one's history.
type dataset struct {
	tracker *track.Tracker
	sample  Sample    // the last sample
	gotAt   time.Time // when it arrived
	polls   int
}

// pendingSample is a sample that arrived while an export was reading the
// tracker; it is observed when the export is done.
type pendingSample struct {
	grouping stackparse.Grouping
	sample   Sample
}

// Model is the root Bubble Tea model of the UI (a tea.Model). Its
// children (table, detail view, help, filter input) are plain fields.
type Model struct {
	cfg    Config
	keys   KeyMap
	styles Styles
	base   context.Context
	now    time.Time
	width  int
	height int

	// Polling. gen changes on pause, resume and regroup; timers and
	// fetches of an older generation are dropped when they come back.
	gen      int
	fetch    Fetch
	cancel   context.CancelFunc // of the fetch in flight
	fetching bool
	paused   bool
	ended    bool
	interval time.Duration

	failures int
	lastErr  string
	retryAt  time.Time

	grouping stackparse.Grouping
	creator  bool
	sets     map[stackparse.Grouping]*dataset

	exporting bool
	pending   []pendingSample

	table     table
	detail    detail
	showHelp  bool
	help      help.Model
	filter    input
	filtering bool

	// sources caches source lines by file:line; nil values are loading.
	sources map[string]*source

	notice      string
	noticeErr   bool
	noticeUntil time.Time

	// fatal is a panic caught in Update; Run returns it.
	fatal error
}

// New returns the model for cfg; tea.NewProgram(New(cfg)).Run() runs it,
// as Run does.
func New(cfg Config) Model { return newModel(context.Background(), cfg) }

func newModel(ctx context.Context, cfg Config) Model {
	if cfg.Interval <= 0 {
		cfg.Interval = defaultInterval
	}
	if cfg.ExportDir == "" {
		cfg.ExportDir = "."
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	st := DefaultStyles()
	if cfg.NoColor {
		st = PlainStyles()
	}
	m := Model{
		cfg:      cfg,
		keys:     DefaultKeyMap(),
		styles:   st,
		base:     ctx,
		now:      cfg.Now(),
		fetch:    cfg.Fetch,
		interval: cfg.Interval,
		grouping: cfg.Grouping,
		sets:     map[stackparse.Grouping]*dataset{},
		sources:  map[string]*source{},
		table:    table{hay: map[string]string{}},
		detail:   newDetail(),
		help:     help.New(),
	}
	m.help.Styles = st.Help
	m.help.ShortSeparator = "  "
	m.filter = input{prompt: "/ ", limit: 200}
	return m
}

// Init starts the first poll and the clock.
func (m Model) Init() tea.Cmd {
	gen := m.gen
	return tea.Batch(func() tea.Msg { return pollMsg{gen: gen} }, clockTick())
}

// Update handles one message. A panic in it ends the program with an error
// rather than a stack trace on a raw terminal.
func (m Model) Update(msg tea.Msg) (result tea.Model, cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			m.fatal = fmt.Errorf("gorotop: internal error: %v", r)
			m.stopFetch()
			result, cmd = m, tea.Quit
		}
	}()
	m.now = m.cfg.Now()
	m, cmd = m.update(msg)
	_, h := m.size()
	m.table.scroll(m.tableHeight(h))
	return m, cmd
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case clockMsg:
		if !m.noticeUntil.IsZero() && !m.now.Before(m.noticeUntil) {
			m.notice, m.noticeUntil = "", time.Time{}
		}
		return m, clockTick()
	case pollMsg:
		return m.poll(msg)
	case fetchedMsg:
		return m.fetched(msg)
	case exportedMsg:
		return m.exported(msg)
	case sourceMsg:
		m.sources[msg.key] = &msg.src
		m.refreshDetail()
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	if m.filtering && m.filter.Update(msg) {
		m.applyFilter()
	}
	return m, nil
}

// clockTick refreshes the clock in a second.
func clockTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

// pollIn arms the next poll of this generation after d.
func (m *Model) pollIn(d time.Duration) tea.Cmd {
	gen := m.gen
	if d <= 0 {
		return func() tea.Msg { return pollMsg{gen: gen} }
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return pollMsg{gen: gen} })
}

// poll starts a fetch unless one is running, polling is off, or the
// timer is stale.
func (m Model) poll(msg pollMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen || m.paused || m.ended || m.fetching {
		return m, nil
	}
	ctx, cancel := context.WithCancel(m.base)
	m.cancel, m.fetching = cancel, true
	return m, fetchCmd(ctx, m.fetch, m.gen)
}

// fetchCmd runs one fetch. A panic in it comes back as an error: the UI
// shows it and tries again.
func fetchCmd(ctx context.Context, fetch Fetch, gen int) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = fetchedMsg{gen: gen, err: fmt.Errorf("fetch failed: internal error: %v", r)}
			}
		}()
		s, err := fetch(ctx)
		return fetchedMsg{gen: gen, sample: s, err: err}
	}
}

// stopFetch cancels the fetch in flight, if any.
func (m *Model) stopFetch() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	m.fetching = false
}

// fetched takes a fetch's result and arms the next poll: after the
// interval, or after a backoff that doubles from 1 s to 30 s while fetches
// fail.
func (m Model) fetched(msg fetchedMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen {
		return m, nil
	}
	m.stopFetch()
	err := msg.err
	if err == nil && msg.sample.Snap == nil {
		err = errors.New("fetch returned no snapshot")
	}
	switch {
	case errors.Is(err, io.EOF):
		m.ended = true
		return m, nil
	case err != nil:
		m.failures++
		m.lastErr = err.Error()
		backoff := min(firstBackoff<<min(m.failures-1, 5), maxBackoff)
		m.retryAt = m.now.Add(backoff)
		return m, m.pollIn(backoff)
	}
	m.failures, m.lastErr = 0, ""
	m.interval = m.cfg.Interval
	if msg.sample.Interval > 0 {
		m.interval = msg.sample.Interval
	}
	m.observe(m.grouping, msg.sample)
	return m, m.pollIn(m.interval)
}

// data returns the dataset of a grouping, made on first use.
func (m *Model) data(g stackparse.Grouping) *dataset {
	ds := m.sets[g]
	if ds == nil {
		ds = &dataset{tracker: track.New(m.cfg.Track)}
		m.sets[g] = ds
	}
	return ds
}

// current returns the dataset on screen.
func (m *Model) current() *dataset { return m.data(m.grouping) }

// observe files a sample with its grouping's tracker, or keeps it for
// later while an export reads the tracker.
func (m *Model) observe(g stackparse.Grouping, s Sample) {
	if m.exporting {
		m.pending = append(m.pending, pendingSample{grouping: g, sample: s})
		return
	}
	at := s.At
	if at.IsZero() {
		at = m.now
		s.At = at
	}
	ds := m.data(g)
	ds.tracker.Observe(at, s.Snap)
	ds.sample, ds.gotAt = s, m.now
	ds.polls++
	if g == m.grouping {
		m.rebuild()
	}
}

// rebuild refills the table and the detail view from the current data.
func (m *Model) rebuild() {
	ds := m.current()
	m.table.build(ds.sample.Snap, ds.tracker, m.creator)
	m.refreshDetail()
}

// layout sizes the children after a resize.
func (m *Model) layout() {
	w, _ := m.size()
	m.help.SetWidth(w)
	m.refreshDetail()
}

// size is the terminal size, 80×24 until the terminal says.
func (m *Model) size() (int, int) {
	w, h := m.width, m.height
	if w <= 0 {
		w = 80
	}
	if h <= 0 {
		h = 24
	}
	return w, h
}

// say shows a notice for a few seconds.
func (m *Model) say(isErr bool, format string, args ...any) {
	m.notice = fmt.Sprintf(format, args...)
	m.noticeErr = isErr
	m.noticeUntil = m.now.Add(noticeFor)
}

// key handles a key press.
func (m Model) key(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	if m.filtering {
		switch {
		case msg.String() == "ctrl+c":
			m.stopFetch()
			return m, tea.Quit
		case key.Matches(msg, k.Apply):
			m.filtering = false
			return m, nil
		case key.Matches(msg, k.Cancel):
			m.filtering = false
			m.filter.Reset()
			m.applyFilter()
			return m, nil
		}
		if m.filter.Update(msg) {
			m.applyFilter()
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		m.stopFetch()
		return m, tea.Quit
	case m.showHelp:
		if key.Matches(msg, k.Help, k.Back) {
			m.showHelp = false
		}
		return m, nil
	case key.Matches(msg, k.Help):
		m.showHelp = true
		return m, nil
	case key.Matches(msg, k.Pause):
		return m.togglePause()
	case key.Matches(msg, k.Export):
		return m.export()
	case key.Matches(msg, k.Sort):
		m.table.sort = (m.table.sort + 1) % sortModes
		m.rebuild()
		return m, nil
	case key.Matches(msg, k.Group):
		return m.regroup()
	case key.Matches(msg, k.Filter):
		m.detail.close()
		m.filtering = true
		return m, nil
	}
	if m.detail.open {
		m.detail.key(msg, k)
		return m, nil
	}
	_, h := m.size()
	page := m.table.pageRows(m.tableHeight(h))
	switch {
	case key.Matches(msg, k.Up):
		m.table.move(-1)
	case key.Matches(msg, k.Down):
		m.table.move(1)
	case key.Matches(msg, k.PageUp):
		m.table.move(-page)
	case key.Matches(msg, k.PageDown):
		m.table.move(page)
	case key.Matches(msg, k.Home):
		m.table.move(-len(m.table.rows))
	case key.Matches(msg, k.End):
		m.table.move(len(m.table.rows))
	case key.Matches(msg, k.Open):
		if r := m.table.selected(); r != nil {
			m.detail.show(r.key, m.creator)
			m.refreshDetail()
			return m, m.wantSource(r)
		}
	case key.Matches(msg, k.Back):
		if m.filter.Value() != "" {
			m.filter.Reset()
			m.applyFilter()
		}
	}
	return m, nil
}

// wantSource starts reading the source of a row's blocking frame, unless
// it is read already or there is nowhere to look.
func (m *Model) wantSource(r *row) tea.Cmd {
	f := r.group.BlockedAt()
	if m.cfg.SrcDir == "" || r.members != nil || f == nil {
		return nil
	}
	k := sourceKey(f.File, f.Line)
	if _, ok := m.sources[k]; ok {
		return nil
	}
	m.sources[k] = nil
	return loadSource(m.cfg.SrcDir, f.File, f.Line)
}

// applyFilter refilters the table when the filter text changed.
func (m *Model) applyFilter() {
	if v := m.filter.Value(); v != m.table.filter {
		m.table.filter = v
		m.rebuild()
	}
}

// togglePause stops or restarts polling; the UI stays usable either way.
func (m Model) togglePause() (Model, tea.Cmd) {
	if m.ended {
		m.say(false, "replay ended: nothing more to read")
		return m, nil
	}
	m.gen++
	if m.paused {
		m.paused = false
		return m, m.pollIn(0)
	}
	m.paused = true
	m.stopFetch()
	return m, nil
}

// regroup cycles the code, exact and pointer groupings (when Config has
// Regroup) and the creator view.
func (m Model) regroup() (Model, tea.Cmd) {
	m.detail.close()
	if m.cfg.Regroup == nil || m.paused || m.ended {
		m.creator = !m.creator
		m.rebuild()
		switch {
		case m.cfg.Regroup == nil && m.creator:
			m.say(false, "creator view; code/exact/pointer grouping is chosen at start (--group)")
		case m.cfg.Regroup != nil && m.creator:
			m.say(false, "creator view; resume polling to switch grouping")
		}
		return m, nil
	}
	next := 0
	if !m.creator {
		for i, g := range stackparse.Groupings {
			if g == m.grouping {
				next = i + 1
			}
		}
	}
	if next == len(stackparse.Groupings) {
		m.creator = true
		m.rebuild()
		return m, nil
	}
	g := stackparse.Groupings[next]
	m.creator = false
	if g == m.grouping {
		m.rebuild()
		return m, nil
	}
	fetch := m.cfg.Regroup(g)
	if fetch == nil {
		m.say(true, "grouping %s is not available", g)
		m.rebuild()
		return m, nil
	}
	m.gen++
	m.stopFetch()
	m.fetch, m.grouping = fetch, g
	m.failures, m.lastErr = 0, ""
	m.rebuild()
	return m, m.pollIn(0)
}

// export writes the current snapshot with its history through
// Config.Export. The tracker is not touched until the export is done.
func (m Model) export() (Model, tea.Cmd) {
	ds := m.current()
	switch {
	case m.cfg.Export == nil:
		m.say(true, "export is not available here")
		return m, nil
	case m.exporting:
		m.say(false, "an export is already running")
		return m, nil
	case ds.sample.Snap == nil:
		m.say(true, "nothing to export yet")
		return m, nil
	}
	m.exporting = true
	m.say(false, "exporting to %s…", m.cfg.ExportDir)
	export, dir, snap, tr, at := m.cfg.Export, m.cfg.ExportDir, ds.sample.Snap, ds.tracker, ds.sample.At
	return m, func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = exportedMsg{err: fmt.Errorf("internal error: %v", r)}
			}
		}()
		path, err := export(dir, snap, tr, at)
		return exportedMsg{path: path, err: err}
	}
}

// exported shows where the export went and files the samples that came
// meanwhile.
func (m Model) exported(msg exportedMsg) (Model, tea.Cmd) {
	m.exporting = false
	if msg.err != nil {
		m.say(true, "export failed: %s", clean(msg.err.Error()))
	} else {
		m.say(false, "exported to %s", clean(msg.path))
	}
	pending := m.pending
	m.pending = nil
	for _, p := range pending {
		m.observe(p.grouping, p.sample)
	}
	return m, nil
}

// View draws the screen. A panic in it draws the error instead.
func (m Model) View() (v tea.View) {
	defer func() {
		if r := recover(); r != nil {
			v = tea.NewView(clean(fmt.Sprintf("gorotop: internal error while drawing: %v (press q to quit)", r)))
			v.AltScreen = true
		}
	}()
	v.AltScreen = true
	w, h := m.size()
	if w < 20 || h < 5 {
		v.SetContent(truncate("terminal too small", w))
		return v
	}
	lines := m.headerView(w)
	bodyH := h - len(lines) - 1
	var body []string
	switch {
	case m.showHelp:
		body = m.helpView(w, bodyH)
	case m.detail.open:
		body = m.detailView(w, bodyH)
	default:
		body = m.tableView(w, bodyH)
	}
	if len(body) > bodyH {
		body = body[:max(bodyH, 0)]
	}
	lines = append(lines, body...)
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	lines = append(lines, m.statusView(w))
	v.SetContent(strings.Join(lines, "\n"))
	if m.filtering {
		c := m.filter.Cursor()
		c.X, c.Y = min(c.X, w-1), h-1
		v.Cursor = c
	}
	return v
}

// tableHeight is how many lines the table's rows get on a screen h lines
// high.
func (m Model) tableHeight(h int) int {
	w, _ := m.size()
	return h - len(m.headerView(w)) - 1 - 2
}

// tableView draws the table, or what stands in for it before data comes.
func (m Model) tableView(w, h int) []string {
	ds := m.sets[m.grouping]
	if ds == nil || ds.sample.Snap == nil {
		msg := "waiting for the first dump…"
		switch {
		case m.ended:
			msg = "the source held no goroutine dump"
		case m.lastErr != "":
			msg = "no dump yet: see the error above"
		}
		return []string{"", "  " + m.styles.Dim.Render(msg)}
	}
	if len(m.table.rows) == 0 {
		msg := "no goroutines"
		if m.table.filter != "" {
			msg = fmt.Sprintf("no group matches %q (esc clears the filter)", clean(m.table.filter))
		}
		return []string{"", "  " + m.styles.Dim.Render(truncate(msg, w-2))}
	}
	lines := m.table.view(w, h-1, &m.styles)
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	return append(lines, m.selectionLine(w))
}

// selectionLine spells out the selected row in full: its function, site
// and creator, which narrow columns cut.
func (m Model) selectionLine(w int) string {
	r := m.table.selected()
	if r == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", clean(r.site()), clean(r.fn()))
	if r.members != nil {
		fmt.Fprintf(&b, " · %s", plural(len(r.members), "group"))
	} else if c := r.group.CreatedBy; c != nil {
		fmt.Fprintf(&b, " ← %s", clean(c.Func))
	}
	return m.styles.Dim.Render(truncate(b.String(), w))
}

// statusView is the last line: the filter being edited, a notice, or the
// short help.
func (m Model) statusView(w int) string {
	switch {
	case m.filtering:
		return m.styles.Prompt.Render(truncate(m.filter.View(), w))
	case m.notice != "":
		st := m.styles.Notice
		if m.noticeErr {
			st = m.styles.Error
		}
		return st.Render(truncate(m.notice, w))
	}
	if m.detail.open && !m.showHelp {
		pos := fmt.Sprintf("%3.0f%%  ", m.detail.vp.ScrollPercent()*100)
		return truncate(pos+m.help.ShortHelpView(detailKeys{m.keys}.ShortHelp()), w)
	}
	return truncate(m.help.ShortHelpView(m.keys.ShortHelp()), w)
}
