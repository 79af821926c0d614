package web

import (
	"html/template"
	"sync"

	"github.com/shiliantong/shiliantong/internal/receivecode"
)

// A QR code is drawn from its payload alone, and the same codes are
// shown again and again (a user's receive code, a store's code): drawing
// one (Reed–Solomon, eight masks scored) costs more than the rest of its
// page, so the pages keep the images they drew, by payload.

// qrCacheSize bounds each generation of the cache: at most twice this
// many images (a few KB each) are kept.
const qrCacheSize = 2048

// qrCache maps payloads to their images as data: URLs. It keeps two
// generations: when the current one is full it becomes the old one, and
// an image found in the old one moves back to the current.
type qrCache struct {
	mu       sync.Mutex
	cur, old map[string]template.URL
}

// qrURL is the SVG image of a payload's QR code as a data: URL.
func (a *App) qrURL(payload string) (template.URL, error) {
	c := &a.qr
	c.mu.Lock()
	u, ok := c.cur[payload]
	if !ok {
		if u, ok = c.old[payload]; ok {
			c.put(payload, u)
		}
	}
	c.mu.Unlock()
	if ok {
		return u, nil
	}
	svg, err := receivecode.SVG(payload)
	if err != nil {
		return "", err
	}
	u = svgDataURL(svg)
	c.mu.Lock()
	c.put(payload, u)
	c.mu.Unlock()
	return u, nil
}

// put adds an image to the current generation; c.mu is held.
func (c *qrCache) put(payload string, u template.URL) {
	if c.cur == nil || len(c.cur) >= qrCacheSize {
		c.old, c.cur = c.cur, make(map[string]template.URL, qrCacheSize)
	}
	c.cur[payload] = u
}
