// Day 3's demo in Go, for the size comparison: a click listener that reads #num and writes #ans.
package main

import (
	"math/bits"
	"strconv"
	"strings"
	"syscall/js"
)

func fib(n uint64) (uint64, bool) {
	a, b := uint64(1), uint64(1)
	for i := uint64(1); i < n; i++ {
		sum, carry := bits.Add64(a, b, 0)
		if carry != 0 {
			return 0, false
		}
		a, b = b, sum
	}
	return b, true
}

func answer(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return "enter a number"
	}
	if strings.HasPrefix(text, "-") {
		return "the number must not be negative"
	}
	n, err := strconv.ParseUint(text, 10, 32)
	if err != nil {
		return "that is not a whole number"
	}
	v, ok := fib(n)
	if !ok {
		return "n is too large"
	}
	return strconv.FormatUint(v, 10)
}

func main() {
	doc := js.Global().Get("document")
	num := doc.Call("getElementById", "num")
	ans := doc.Call("getElementById", "ans")
	btn := doc.Call("getElementById", "btn")
	btn.Call("addEventListener", "click", js.FuncOf(func(this js.Value, args []js.Value) interface{} {
		ans.Set("textContent", answer(num.Get("value").String()))
		return nil
	}))
	select {}
}
