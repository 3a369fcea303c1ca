package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// export writes the latest snapshot of the tab on screen with what its
// tracker knew then, through its Exporter; polling goes on meanwhile.
func (m Model) export() (Model, tea.Cmd) {
	t := m.tab()
	if t == nil {
		m.say(false, "export a target's snapshot from its tab (1–%d)", len(m.tabs))
		return m, nil
	}
	ds := t.data(m.grouping)
	switch {
	case t.cfg.Export == nil:
		m.say(true, "export is not available here")
		return m, nil
	case t.exporting:
		m.say(false, "an export is already running")
		return m, nil
	case ds.snap == nil:
		m.say(true, "nothing to export yet")
		return m, nil
	}
	t.exporting = true
	if ds.stepped() {
		m.say(false, "exporting the latest snapshot to %s…", m.cfg.ExportDir)
	} else {
		m.say(false, "exporting to %s…", m.cfg.ExportDir)
	}
	i := t.id
	export, dir, snap, v, at := t.cfg.Export, m.cfg.ExportDir, ds.snap, ds.latest, ds.sample.Meta.At
	return m, func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = exportedMsg{tab: i, err: fmt.Errorf("internal error: %v", r)}
			}
		}()
		path, err := export(dir, snap, v, at)
		return exportedMsg{tab: i, path: path, err: err}
	}
}

// exported shows where the export went.
func (m Model) exported(msg exportedMsg) (Model, tea.Cmd) {
	if i := m.find(msg.tab); i >= 0 {
		m.tabs[i].exporting = false
	}
	if msg.err != nil {
		m.say(true, "export failed: %s", clean(msg.err.Error()))
	} else {
		m.say(false, "exported to %s", clean(msg.path))
	}
	return m, nil
}
