package tui

import "charm.land/bubbles/v2/key"

// KeyMap holds every key binding of the UI. Bindings for features that are
// not there (tabs with one target, speed without a replay) are disabled:
// bubbles/help leaves them out.
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

	// NextTab and PrevTab cycle the tabs; TabN goes to tab 1 to 9, and 0
	// to the combined tab (all), whatever its number.
	NextTab, PrevTab, TabN key.Binding

	// StepBack and StepForward walk through the snapshots kept, in time;
	// First and Latest jump to either end. Faster and Slower change the
	// speed of a replay.
	StepBack, StepForward key.Binding
	First, Latest         key.Binding
	Faster, Slower        key.Binding
	// Mark marks the snapshot on screen as the diff base; Diff shows what
	// grew or shrank since.
	Mark, Diff key.Binding

	// Apply and Cancel end filter editing: keep the filter, or drop it.
	Apply, Cancel key.Binding
}

// DefaultKeyMap returns the keys of the UI: moving, opening a group,
// filter, sort, grouping, pause, export, help and quit, and those of tabs
// and replay, none of them bound twice.
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

		NextTab: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
		PrevTab: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous tab")),
		TabN:    key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9", "0"), key.WithHelp("1…9 0", "tab N, all")),

		StepBack:    key.NewBinding(key.WithKeys("left"), key.WithHelp("←", "older snapshot")),
		StepForward: key.NewBinding(key.WithKeys("right"), key.WithHelp("→", "newer snapshot")),
		First:       key.NewBinding(key.WithKeys("["), key.WithHelp("[", "oldest kept")),
		Latest:      key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "latest")),
		Faster:      key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "replay faster")),
		Slower:      key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "replay slower")),
		Mark:        key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "mark diff base")),
		Diff:        key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "diff with mark")),

		Apply:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
	}
}

// ShortHelp is the one-line help of the main table (help.KeyMap).
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Filter, k.Sort, k.Group, short(k.Pause, "p"), k.Export, short(k.NextTab, "tab"), k.Help, k.Quit}
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
		{k.Open, k.Back, k.Filter, k.Sort, k.Group, k.Export},
		{k.Pause, k.StepBack, k.StepForward, k.First, k.Latest, k.Faster, k.Slower},
		{k.Mark, k.Diff, k.NextTab, k.PrevTab, k.TabN, k.Help, k.Quit},
	}
}

// detailKeys is the one-line help of the detail view.
type detailKeys struct{ KeyMap }

// ShortHelp lists the keys that work in the detail view.
func (k detailKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Back, key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓", "scroll")), k.PageDown, short(k.Pause, "p"), k.Export, k.Help, k.Quit}
}
