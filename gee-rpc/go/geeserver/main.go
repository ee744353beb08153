// geeserver serves Foo.Sum over GeeRPC with Go's encoding/gob, as Go's geerpc server does.
//
// Usage: geeserver
//
// It listens on 127.0.0.1 with a free port, prints "listening on HOST:PORT", and serves
// until killed. Unlike the original course, it reads the Option line and the gob stream
// through one bufio.Reader, so no request is lost.
package main

import (
	"bufio"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// Option is the first line of a GeeRPC connection.
type Option struct {
	MagicNumber    int
	CodecType      string
	ConnectTimeout time.Duration
	HandleTimeout  time.Duration
}

// Header precedes every request and reply.
type Header struct {
	ServiceMethod string
	Seq           uint64
	Error         string
}

// Args is Foo.Sum's argument.
type Args struct{ Num1, Num2 int }

func serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return
	}
	var opt Option
	if err := json.Unmarshal(line, &opt); err != nil || opt.MagicNumber != 0x3bef5c || opt.CodecType != "application/gob" {
		fmt.Fprintf(os.Stderr, "geeserver: bad option %q\n", line)
		return
	}
	dec := gob.NewDecoder(r)
	w := bufio.NewWriter(conn)
	enc := gob.NewEncoder(w)
	var sending sync.Mutex
	reply := func(h *Header, body interface{}) {
		sending.Lock()
		defer sending.Unlock()
		if err := enc.Encode(h); err == nil {
			if err := enc.Encode(body); err == nil {
				_ = w.Flush()
			}
		}
	}
	for {
		var h Header
		if err := dec.Decode(&h); err != nil {
			return
		}
		var args Args
		if err := dec.Decode(&args); err != nil {
			return
		}
		switch h.ServiceMethod {
		case "Foo.Sum":
			reply(&h, args.Num1+args.Num2)
		default:
			h.Error = "rpc server: can't find method " + h.ServiceMethod
			reply(&h, struct{}{})
		}
	}
}

func main() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "geeserver: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", l.Addr())
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		go serve(conn)
	}
}
