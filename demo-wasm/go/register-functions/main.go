// Day 2's demo in Go, for the size comparison: window.fibFunc(n), checked like the Rust one.
package main

import (
	"math"
	"math/bits"
	"strconv"
	"syscall/js"
)

func fib(n uint) (uint64, bool) {
	a, b := uint64(1), uint64(1)
	for i := uint(1); i < n; i++ {
		sum, carry := bits.Add64(a, b, 0)
		if carry != 0 {
			return 0, false
		}
		a, b = b, sum
	}
	return b, true
}

func fibFunc(this js.Value, args []js.Value) interface{} {
	n := args[0].Float()
	if math.IsNaN(n) || math.IsInf(n, 0) || n != math.Trunc(n) {
		return js.Global().Get("Error").New("n must be a whole number")
	}
	if n < 0 {
		return js.Global().Get("Error").New("n must not be negative")
	}
	if n > 92 {
		return js.Global().Get("Error").New("n is too large")
	}
	v, _ := fib(uint(n))
	return js.Global().Call("BigInt", strconv.FormatUint(v, 10))
}

func main() {
	js.Global().Set("fibFunc", js.FuncOf(fibFunc))
	select {}
}
