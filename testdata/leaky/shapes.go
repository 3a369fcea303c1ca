package main

import (
	"math/rand/v2"
	"time"
)

// shapesDepth is how many of the step functions a shapes goroutine passes
// through: 16^6 paths, so two goroutines of a dump rarely share a stack.
const shapesDepth = 6

// shapes keeps l.shapesN goroutines alive, each for l.shapesLife, each
// down a random path through the step functions: it starts them at the
// rate that keeps that many, catching up after a late tick.
func (l *leaky) shapes() {
	rate := float64(l.shapesN) / l.shapesLife.Seconds()
	start := time.Now()
	t := every(10 * time.Millisecond)
	for i, started := 0, 0; ; i++ {
		t.wait(i)
		for due := int(time.Since(start).Seconds() * rate); started < due; started++ {
			path := make([]byte, shapesDepth)
			for j := range path {
				path[j] = byte(rand.IntN(len(shapeSteps)))
			}
			l.label("shapes", started)
			go shapeStep(path, l.shapesLife)
		}
	}
}

// shapeSteps are the functions a path goes through, each a frame of its
// own; the last sleeps out the goroutine's life.
var shapeSteps [16]func(path []byte, life time.Duration)

func init() {
	shapeSteps = [16]func([]byte, time.Duration){shapeStep0, shapeStep1, shapeStep2, shapeStep3,
		shapeStep4, shapeStep5, shapeStep6, shapeStep7, shapeStep8, shapeStep9, shapeStep10,
		shapeStep11, shapeStep12, shapeStep13, shapeStep14, shapeStep15}
}

// shapeStep goes to the next step of path, or sleeps at its end; each
// step function does the same in a frame of its own.
func shapeStep(path []byte, life time.Duration) {
	if len(path) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[path[0]](path[1:], life)
}

//go:noinline
func shapeStep0(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep1(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep2(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep3(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep4(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep5(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep6(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep7(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep8(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep9(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep10(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep11(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep12(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep13(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep14(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}

//go:noinline
func shapeStep15(p []byte, life time.Duration) {
	if len(p) == 0 {
		time.Sleep(life)
		return
	}
	shapeSteps[p[0]](p[1:], life)
}
