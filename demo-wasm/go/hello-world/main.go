// Day 1's demo in Go, for the size comparison: greet in the console and in the page.
package main

import "syscall/js"

func main() {
	const greeting = "Hello, WebAssembly!"
	js.Global().Get("console").Call("log", greeting)
	doc := js.Global().Get("document")
	p := doc.Call("createElement", "p")
	p.Set("id", "greeting")
	p.Set("textContent", greeting)
	doc.Get("body").Call("appendChild", p)
}
