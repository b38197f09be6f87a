// ipip-tool sends and receives raw IP-in-IP (protocol 4) packets for the overlay kernel test
// (test/e2e-dataplane/overlay.test.ts). The kernel under test may have no ipip module, so the packets
// are made here: the outer header by the kernel (a raw "ip4:4" socket), the inner one by hand.
//
//	ipip-tool send <src> <dst>   one packet from src (an address of this namespace) to dst
//	ipip-tool recv <addr>        prints the outer source of every packet delivered to addr, one a line
package main

import (
	"fmt"
	"net"
	"os"
)

func inner(src, dst net.IP) []byte {
	// A 20-byte IPv4 header (ICMP inside) and 8 bytes of echo request: enough to be an IPIP payload.
	h := []byte{0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0}
	h = append(h, src.To4()...)
	h = append(h, dst.To4()...)
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	c := ^uint16(sum)
	h[10], h[11] = byte(c>>8), byte(c)
	return append(h, 8, 0, 0xf7, 0xff, 0, 0, 0, 0)
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: ipip-tool send <src> <dst> | recv <addr>")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "send":
		src, dst := net.ParseIP(os.Args[2]), net.ParseIP(os.Args[3])
		c, err := net.DialIP("ip4:4", &net.IPAddr{IP: src}, &net.IPAddr{IP: dst})
		if err == nil {
			_, err = c.Write(inner(net.IPv4(10, 200, 0, 1), net.IPv4(10, 200, 0, 2)))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "recv":
		c, err := net.ListenIP("ip4:4", &net.IPAddr{IP: net.ParseIP(os.Args[2])})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("listening")
		buf := make([]byte, 2048)
		for {
			_, from, err := c.ReadFromIP(buf)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			fmt.Println(from.IP.String())
		}
	default:
		os.Exit(2)
	}
}
