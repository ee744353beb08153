// geeclient calls a GeeRPC server with Go's encoding/gob, as Go's geerpc client does.
//
// Usage: geeclient HOST:PORT
//
// It sends the JSON Option line and five Foo.Sum calls in one write (the case that hung the
// original course), then an unknown method and one more Foo.Sum on the same connection,
// and prints one line per reply. Any mismatch exits with status 1.
package main

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"net"
	"os"
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

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "geeclient: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: geeclient HOST:PORT")
	}
	conn, err := net.DialTimeout("tcp", os.Args[1], 5*time.Second)
	if err != nil {
		fail("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))

	var out bytes.Buffer
	opt := Option{MagicNumber: 0x3bef5c, CodecType: "application/gob", ConnectTimeout: 10 * time.Second}
	if err := json.NewEncoder(&out).Encode(&opt); err != nil {
		fail("encode option: %v", err)
	}
	enc := gob.NewEncoder(&out)
	send := func(seq uint64, method string, args Args) {
		if err := enc.Encode(&Header{ServiceMethod: method, Seq: seq}); err != nil {
			fail("encode header: %v", err)
		}
		if err := enc.Encode(&args); err != nil {
			fail("encode body: %v", err)
		}
	}
	for i := 1; i <= 5; i++ {
		send(uint64(i), "Foo.Sum", Args{i, i * i})
	}
	if _, err := conn.Write(out.Bytes()); err != nil {
		fail("write: %v", err)
	}

	dec := gob.NewDecoder(bufio.NewReader(conn))
	replies := map[uint64]int{}
	for len(replies) < 5 {
		var h Header
		var sum int
		if err := dec.Decode(&h); err != nil {
			fail("read header: %v", err)
		}
		if err := dec.Decode(&sum); err != nil {
			fail("read body: %v", err)
		}
		if h.Error != "" {
			fail("call %d failed: %s", h.Seq, h.Error)
		}
		replies[h.Seq] = sum
	}
	for i := 1; i <= 5; i++ {
		if replies[uint64(i)] != i+i*i {
			fail("Foo.Sum(%d, %d) = %d", i, i*i, replies[uint64(i)])
		}
		fmt.Printf("Foo.Sum %d + %d = %d\n", i, i*i, replies[uint64(i)])
	}

	// An unknown method is an error reply, and the connection stays usable.
	out.Reset()
	send(6, "Foo.Nope", Args{1, 2})
	send(7, "Foo.Sum", Args{0, 7})
	if _, err := conn.Write(out.Bytes()); err != nil {
		fail("write: %v", err)
	}
	for n := 0; n < 2; n++ {
		var h Header
		if err := dec.Decode(&h); err != nil {
			fail("read header: %v", err)
		}
		if h.Error != "" {
			var discard struct{}
			if err := dec.Decode(&discard); err != nil {
				fail("read error body: %v", err)
			}
			fmt.Printf("Foo.Nope error: %s\n", h.Error)
			continue
		}
		var sum int
		if err := dec.Decode(&sum); err != nil {
			fail("read body: %v", err)
		}
		if sum != 7 {
			fail("Foo.Sum(0, 7) = %d", sum)
		}
		fmt.Printf("Foo.Sum 0 + 7 = %d\n", sum)
	}
	fmt.Println("go client: ok")
}
