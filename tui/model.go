package tui

import (
	"context"
	"fmt"
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
