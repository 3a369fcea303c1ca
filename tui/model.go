package tui

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/stackparse"
)

const (
	defaultInterval = 2 * time.Second
	noticeFor       = 8 * time.Second
	// slowAfter is how long a fetch runs before the header spins.
	slowAfter = 300 * time.Millisecond
	// doubleClick is the longest time between the clicks of a double
	// click.
	doubleClick = 500 * time.Millisecond
)

// Model is the root Bubble Tea model of the UI (a tea.Model). Its
// children (tabs, table, detail view, help, filter input, spinner) are
// plain fields.
type Model struct {
	cfg    Config
	keys   KeyMap
	styles Styles
	base   context.Context
	now    time.Time
	width  int
	height int

	// tabs are the targets, those that are gone after the others, the
	// latest gone first; active indexes the one on screen, and len(tabs)
	// is the combined view (there only with several targets, or targets
	// that come and go). nextID is the id of the next tab.
	tabs   []*tab
	active int
	nextID int
	// problems are the fleets' problems (Change.Problem without a
	// Target), in the order they came.
	problems []fleetProblem
	// allSel is the combined view's cursor while a target's tab shows.
	allSel selection

	paused   bool
	speed    int // index into speeds, for replays
	grouping stackparse.Grouping
	creator  bool
	diff     bool

	table     table
	detail    detail
	showHelp  bool
	help      help.Model
	filter    textinput.Model
	filtering bool

	// sources caches source lines by file:line; nil values are loading.
	sources map[string]*source

	spin     spinner.Model
	spinning bool
	// lastClick is the row and time of the last click, for double clicks.
	lastClick struct {
		key string
		at  time.Time
	}

	notice      string
	noticeErr   bool
	noticeUntil time.Time

	// jitter spreads the retries of failing polls (source.Backoff), so
	// that many gorotops do not retry in step.
	jitter *rand.Rand

	// fatal is a panic caught in Update; Run returns it.
	fatal error
}

// newModel returns the model for cfg, its tea.Cmds bound to ctx; Run
// runs it.
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
	m := Model{
		cfg:      cfg,
		keys:     DefaultKeyMap(),
		base:     ctx,
		now:      cfg.Now(),
		grouping: cfg.Grouping,
		speed:    speedNormal,
		sources:  map[string]*source{},
		table:    table{hay: map[string]string{}},
		detail:   newDetail(),
		help:     help.New(),
		filter:   textinput.New(),
		spin:     spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		jitter:   rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	replay := false
	for _, tc := range cfg.targets() {
		m.tabs = append(m.tabs, newTab(tc, cfg.Interval, m.nextID))
		m.nextID++
		replay = replay || tc.Replay
	}
	if m.multi() {
		m.active = len(m.tabs) // several targets open on the combined view
	}
	m.keys.NextTab.SetEnabled(m.multi())
	m.keys.PrevTab.SetEnabled(m.multi())
	m.keys.TabN.SetEnabled(m.multi())
	m.keys.Faster.SetEnabled(replay)
	m.keys.Slower.SetEnabled(replay)
	if replay {
		m.keys.Pause.SetHelp("p/space", "play, pause")
	}
	m.help.ShortSeparator = "  "
	m.filter.Prompt = "/ "
	m.filter.CharLimit = 200
	m.filter.SetVirtualCursor(false)
	m.setStyles(true)
	return m
}

// setStyles picks the styles for a dark or light background, or the plain
// ones without colour.
func (m *Model) setStyles(dark bool) {
	m.styles = StylesFor(dark)
	if m.cfg.NoColor {
		m.styles = PlainStyles()
	}
	m.help.Styles = m.styles.Help
	m.filter.SetStyles(m.styles.inputStyles())
	m.spin.Style = m.styles.Spark
}

// Init starts every tab's first poll and the clock, and asks the terminal
// for its background colour.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{clockTick()}
	if !m.cfg.NoColor {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	for _, t := range m.tabs {
		cmds = append(cmds, pollNow(t.id, t.gen))
	}
	if m.cfg.Changes != nil {
		cmds = append(cmds, waitChange(m.base, m.cfg.Changes))
	}
	return tea.Batch(cmds...)
}

// Update handles one message. A panic in it ends the program with an error
// rather than a stack trace on a raw terminal.
func (m Model) Update(msg tea.Msg) (result tea.Model, cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			m.fatal = fmt.Errorf("internal error: %v", r)
			for _, t := range m.tabs {
				t.stopFetch()
			}
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
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
		m.refreshDetail()
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
	case slowMsg:
		return m.slow(msg)
	case spinner.TickMsg:
		return m.spinTick(msg)
	case exportedMsg:
		return m.exported(msg)
	case changeMsg:
		m, cmd := m.change(msg.c)
		return m, tea.Batch(cmd, waitChange(m.base, m.cfg.Changes))
	case changesEndMsg:
		return m, nil
	case sourceMsg:
		m.sources[msg.key] = &msg.src
		m.refreshDetail()
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.MouseMsg:
		return m.mouse(msg)
	}
	if m.filtering {
		return m.edit(msg)
	}
	return m, nil
}

// multi reports whether the tab bar and the combined view are there:
// with several targets, or targets that come and go.
func (m *Model) multi() bool { return len(m.tabs) > 1 || m.cfg.Changes != nil }

// find returns the index of the tab whose id is id, or -1 when there is
// none (any more).
func (m *Model) find(id int) int {
	for i, t := range m.tabs {
		if t.id == id {
			return i
		}
	}
	return -1
}

// tab returns the target on screen, or nil in the combined view.
func (m *Model) tab() *tab {
	if m.active < len(m.tabs) {
		return m.tabs[m.active]
	}
	return nil
}

// current returns the dataset on screen, or nil in the combined view.
func (m *Model) current() *dataset {
	if t := m.tab(); t != nil {
		return t.data(m.grouping)
	}
	return nil
}

// rebuild refills the table and the detail view from the current data.
func (m *Model) rebuild() {
	if t := m.tab(); t != nil {
		ds := t.data(m.grouping)
		m.table.targets = nil
		m.table.diff = m.diff && ds.mark != nil
		m.table.build(ds.rows(m.creator, m.table.diff))
	} else {
		m.table.targets = m.tabNames()
		m.table.diff = false
		m.table.build(m.combinedRows())
	}
	m.refreshDetail()
}

// layout sizes the children after a resize.
func (m *Model) layout() {
	w, _ := m.size()
	m.help.SetWidth(w)
	m.filter.SetWidth(max(w-3, 1))
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

// switchTo puts tab i (len(tabs) for the combined view) on screen,
// keeping each tab's cursor.
func (m *Model) switchTo(i int) {
	last := len(m.tabs)
	if !m.multi() {
		last = 0
	}
	if i < 0 || i > last || i == m.active {
		return
	}
	sel := selection{cursor: m.table.cursor, offset: m.table.offset, selKey: m.table.selKey, follow: m.table.follow}
	if t := m.tab(); t != nil {
		t.sel = sel
	} else {
		m.allSel = sel
	}
	m.active = i
	sel = m.allSel
	if t := m.tab(); t != nil {
		sel = t.sel
	}
	m.table.cursor, m.table.offset, m.table.selKey, m.table.follow = sel.cursor, sel.offset, sel.selKey, sel.follow
	m.detail.close()
	m.rebuild()
}

// cycleTab moves to the next (or previous) tab, around.
func (m *Model) cycleTab(delta int) {
	n := len(m.tabs) + 1
	if !m.multi() {
		return
	}
	m.switchTo(((m.active+delta)%n + n) % n)
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

// open opens the detail of the selected row; in the combined view, on the
// tab of the target that suspects it most.
func (m Model) open() (Model, tea.Cmd) {
	r := m.table.selected()
	if r == nil {
		return m, nil
	}
	if r.per != nil {
		m.switchTo(r.tab)
		m.table.selKey, m.table.follow = r.key, true
		m.rebuild()
		if r = m.table.selected(); r == nil || r.key != m.table.selKey {
			return m, nil
		}
	}
	m.detail.show(r.key, m.creator)
	m.refreshDetail()
	return m, m.wantSource(r)
}

// applyFilter refilters the table when the filter text changed.
func (m *Model) applyFilter() {
	if v := m.filter.Value(); v != m.table.filter {
		m.table.filter = v
		m.rebuild()
	}
}
