// Day 4's demo in Go, for the size comparison: fibFunc(n, cb) calls cb(fib(n)) three seconds later.
package main

import (
	"math"
	"math/bits"
	"strconv"
	"syscall/js"
	"time"
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
	if math.IsNaN(n) || n < 0 || n > 92 || n != math.Trunc(n) {
		return js.Global().Get("Error").New("n must be a whole number from 0 to 92")
	}
	cb := args[1]
	go func() {
		time.Sleep(3 * time.Second)
		v, _ := fib(uint(n))
		cb.Invoke(js.Global().Call("BigInt", strconv.FormatUint(v, 10)))
	}()
	return nil
}

func main() {
	js.Global().Set("fibFunc", js.FuncOf(fibFunc))
	select {}
}
