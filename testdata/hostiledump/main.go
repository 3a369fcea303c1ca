// Command hostiledump writes goroutine dumps no Go runtime prints but a
// hostile or broken target can serve, to measure what reading them costs
// gorotop in memory:
//
//	go run ./testdata/hostiledump deep -frames 3000000 > deep.txt
//	go run ./testdata/hostiledump shapes -n 1000000 > shapes.txt
//	/usr/bin/time -v gorotop snapshot deep.txt > /dev/null
//
// deep writes goroutines of -frames frames each (the runtime prints at most
// 100: 50 innermost, "...N frames elided...", 50 outermost); shapes writes
// -n goroutines whose stacks all differ (each calls a function of its own,
// as a target that generates code per request would).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hostiledump deep [-frames N] [-goroutines K] | shapes [-n N]")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	switch mode, args := os.Args[1], os.Args[2:]; mode {
	case "deep":
		fs := flag.NewFlagSet("deep", flag.ExitOnError)
		frames := fs.Int("frames", 3_000_000, "frames in each goroutine")
		goroutines := fs.Int("goroutines", 1, "goroutines")
		fs.Parse(args)
		for id := 1; id <= *goroutines; id++ {
			fmt.Fprintf(w, "goroutine %d [chan receive]:\n", id)
			for i := range *frames {
				fmt.Fprintf(w, "main.recurse(0x%x)\n\t/src/app/recurse.go:%d +0x2f\n", i, 10+i%4)
			}
			fmt.Fprintf(w, "created by main.main in goroutine 1\n\t/src/app/main.go:20 +0x25\n\n")
		}
	case "shapes":
		fs := flag.NewFlagSet("shapes", flag.ExitOnError)
		n := fs.Int("n", 1_000_000, "goroutines, each with a stack of its own")
		fs.Parse(args)
		for id := 1; id <= *n; id++ {
			fmt.Fprintf(w, "goroutine %d [select]:\n", id+1)
			fmt.Fprintf(w, "main.handler%d(0xc000%06x)\n\t/src/app/generated/handlers.go:%d +0x4c\n", id, id, 10+id%5000)
			fmt.Fprintf(w, "main.serve.func1(0xc000%06x)\n\t/src/app/serve.go:88 +0x2b\n", id)
			fmt.Fprintf(w, "created by main.serve in goroutine 1\n\t/src/app/serve.go:86 +0x25\n\n")
		}
	default:
		fmt.Fprintf(os.Stderr, "hostiledump: unknown mode %q: want deep or shapes\n", mode)
		os.Exit(2)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "hostiledump:", err)
		os.Exit(1)
	}
}
