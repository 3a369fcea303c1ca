package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The descriptions of every series.
var (
	targetLabel = []string{"target"}
	groupLabels = []string{"target", "group", "function", "site", "state"}

	descGoroutines = prometheus.NewDesc("gorotop_goroutines", "Goroutines of the target at the latest poll.", targetLabel, nil)
	descGroups     = prometheus.NewDesc("gorotop_groups", "Goroutine groups of the target at the latest poll.", targetLabel, nil)
	descOmitted    = prometheus.NewDesc("gorotop_groups_omitted", "Groups left out of the gorotop_group_* series: beyond the largest ones and the flagged ones served.", targetLabel, nil)
	descFlagged    = prometheus.NewDesc("gorotop_groups_flagged", "Groups with a verdict: suspect (a likely leak), rising (counts climbing, not yet confirmed), proven (leaked, proven by the Go runtime), stuck (a deadlock candidate).", []string{"target", "verdict"}, nil)

	descGroupGoroutines = prometheus.NewDesc("gorotop_group_goroutines", "Goroutines in the group.", groupLabels, nil)
	descGrowth          = prometheus.NewDesc("gorotop_group_growth_per_minute", "The group's growth over the tracker's window, goroutines per minute.", groupLabels, nil)
	descVerdict         = [len(verdicts)]*prometheus.Desc{
		prometheus.NewDesc("gorotop_group_suspect", "1 when the group is a suspected leak.", groupLabels, nil),
		prometheus.NewDesc("gorotop_group_rising", "1 when the group's counts climb and full dumps have not yet confirmed a leak.", groupLabels, nil),
		prometheus.NewDesc("gorotop_group_proven", "1 when the Go runtime proved goroutines of the group leaked.", groupLabels, nil),
		prometheus.NewDesc("gorotop_group_stuck", "1 when the group's goroutines neither come nor go while they wait on a lock: a deadlock candidate.", groupLabels, nil),
	}

	descPolls    = prometheus.NewDesc("gorotop_polls_total", "Polls of the target: kind full (a ?debug=2 dump) or counts (a ?debug=1 profile).", []string{"target", "kind"}, nil)
	descDuration = prometheus.NewDesc("gorotop_poll_duration_seconds", "The latest poll's fetch, from request to last byte.", targetLabel, nil)
	descBytes    = prometheus.NewDesc("gorotop_poll_bytes", "The size of the latest poll's body.", targetLabel, nil)
	descStall    = prometheus.NewDesc("gorotop_stall_seconds_total", "Time the polls are charged as stalling the target.", targetLabel, nil)
	descShare    = prometheus.NewDesc("gorotop_stall_share", "The share of wall time the target spends stalled by polls at the current pace, from 0 to 1.", targetLabel, nil)
	descRestarts = prometheus.NewDesc("gorotop_restarts_total", "Restarts of the target gorotop noticed.", targetLabel, nil)
	descLastPoll = prometheus.NewDesc("gorotop_last_poll_timestamp_seconds", "When the latest poll of the target started, in seconds since the Unix epoch.", targetLabel, nil)
	descDropped  = prometheus.NewDesc("gorotop_targets_dropped_total", "Targets left out: more than the exporter serves.", nil, nil)

	allDescs = append([]*prometheus.Desc{
		descGoroutines, descGroups, descOmitted, descFlagged, descGroupGoroutines, descGrowth,
		descPolls, descDuration, descBytes, descStall, descShare, descRestarts, descLastPoll, descDropped,
	}, descVerdict[:]...)
)

// collector makes the series from an Exporter's targets at each scrape.
type collector struct{ e *Exporter }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	e := c.e
	e.mu.Lock()
	defer e.mu.Unlock()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	counter(descDropped, float64(e.dropped))
	for _, t := range e.targets {
		gauge(descGoroutines, float64(t.goroutines), t.label)
		gauge(descGroups, float64(t.groups), t.label)
		gauge(descOmitted, float64(t.omitted), t.label)
		for i, v := range verdicts {
			gauge(descFlagged, float64(t.flagged[i]), t.label, v)
		}
		for _, r := range t.rows {
			labels := []string{t.label, r.key, r.function, r.site, r.state}
			gauge(descGroupGoroutines, float64(r.count), labels...)
			gauge(descGrowth, r.growth, labels...)
			for i, d := range descVerdict {
				gauge(d, bit(r.verdicts[i]), labels...)
			}
		}
		for kind, n := range t.polls {
			counter(descPolls, float64(n), t.label, kind)
		}
		gauge(descDuration, t.duration.Seconds(), t.label)
		gauge(descBytes, float64(t.bytes), t.label)
		counter(descStall, t.stall.Seconds(), t.label)
		gauge(descShare, t.share, t.label)
		counter(descRestarts, float64(t.restarts), t.label)
		if !t.at.IsZero() {
			gauge(descLastPoll, float64(t.at.UnixNano())/1e9, t.label)
		}
	}
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
