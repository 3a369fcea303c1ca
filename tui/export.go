package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

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
