package taxii

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forewarn/forewarn"
)

// feedCollector reports each feed's health from the store at every scrape, so /metrics
// shows what any process on the store last recorded.
type feedCollector struct {
	store    forewarn.FeedStore
	healthy  *prometheus.Desc
	failures *prometheus.Desc
	objects  *prometheus.Desc
}

// FeedCollector returns the Prometheus collector of the feeds' health:
// forewarn_feed_healthy (1 or 0), forewarn_feed_failures (in a row) and
// forewarn_feed_objects (brought in, by kind: person or raw).
func FeedCollector(store forewarn.FeedStore) prometheus.Collector {
	labels := []string{"feed", "agency", "collection"}
	return &feedCollector{store: store,
		healthy:  prometheus.NewDesc("forewarn_feed_healthy", "Whether the feed's last poll succeeded (1) or failed (0).", labels, nil),
		failures: prometheus.NewDesc("forewarn_feed_failures", "Polls of the feed that failed in a row.", labels, nil),
		objects:  prometheus.NewDesc("forewarn_feed_objects", "STIX objects the feed brought in, by kind: person (received as intelligence) or raw (kept unmapped).", append(labels, "kind"), nil),
	}
}

func (c *feedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.healthy
	ch <- c.failures
	ch <- c.objects
}

func (c *feedCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	feeds, err := c.store.Feeds(ctx)
	if err != nil {
		return
	}
	for _, f := range feeds {
		l := []string{f.ID, f.Agency, f.Collection}
		h := 0.0
		if f.Healthy() {
			h = 1
		}
		ch <- prometheus.MustNewConstMetric(c.healthy, prometheus.GaugeValue, h, l...)
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.GaugeValue, float64(f.Failures), l...)
		ch <- prometheus.MustNewConstMetric(c.objects, prometheus.CounterValue, float64(f.Persons), append(l, "person")...)
		ch <- prometheus.MustNewConstMetric(c.objects, prometheus.CounterValue, float64(f.Raw), append(l, "raw")...)
	}
}
