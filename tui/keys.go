package tui

import "charm.land/bubbles/v2/key"

// KeyMap holds every key binding of the UI. Bindings for features that are
// not there yet are disabled: bubbles/help leaves them out.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding

	Open, Back key.Binding
	Filter     key.Binding
	Sort       key.Binding
	Group      key.Binding
	Pause      key.Binding
	Export     key.Binding
	Help       key.Binding
	Quit       key.Binding

	// StepBack and StepForward walk through snapshots in time; Mark and
	// Diff compare with a marked base. Not implemented yet: disabled.
	StepBack, StepForward key.Binding
	Mark, Diff            key.Binding

	// Apply and Cancel end filter editing: keep the filter, or drop it.
	Apply, Cancel key.Binding
}

// DefaultKeyMap returns the keys of SPEC §3.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last")),

		Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "detail")),
		Back:   key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Group:  key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "group")),
		Pause:  key.NewBinding(key.WithKeys("p", "space"), key.WithHelp("p/space", "pause")),
		Export: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export")),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:   key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		StepBack:    key.NewBinding(key.WithKeys("left"), key.WithHelp("←", "older snapshot"), key.WithDisabled()),
		StepForward: key.NewBinding(key.WithKeys("right"), key.WithHelp("→", "newer snapshot"), key.WithDisabled()),
		Mark:        key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "mark base"), key.WithDisabled()),
		Diff:        key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "diff with base"), key.WithDisabled()),

		Apply:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
	}
}

// ShortHelp is the one-line help of the main table (help.KeyMap).
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Filter, k.Sort, k.Group, short(k.Pause, "p"), k.Export, k.Help, k.Quit}
}

// short is a binding with a shorter key name, for the one-line help.
func short(b key.Binding, name string) key.Binding {
	b.SetHelp(name, b.Help().Desc)
	return b
}

// FullHelp is the help overlay, a column a group (help.KeyMap).
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Open, k.Back, k.Filter, k.Sort, k.Group},
		{k.Pause, k.Export, k.StepBack, k.StepForward, k.Mark, k.Diff},
		{k.Help, k.Quit},
	}
}

// detailKeys is the one-line help of the detail view.
type detailKeys struct{ KeyMap }

// ShortHelp lists the keys that work in the detail view.
func (k detailKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Back, key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓", "scroll")), k.PageDown, short(k.Pause, "p"), k.Export, k.Help, k.Quit}
}

// filterKeys is the one-line help while the filter is edited.
type filterKeys struct{ KeyMap }

// ShortHelp lists the keys that end filter editing.
func (k filterKeys) ShortHelp() []key.Binding { return []key.Binding{k.Apply, k.Cancel} }
