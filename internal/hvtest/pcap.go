package hvtest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// Packet is a decoded frame: Ethernet, an optional 802.1Q tag, and ARP or
// IPv4 with ICMP or UDP; UDP to port 4789 is decoded as VXLAN with its
// inner frame. Enough to read the harness's pcaps; not a general decoder.
type Packet struct {
	Data      []byte
	Src, Dst  net.HardwareAddr
	VLAN      int // -1: untagged
	EtherType uint16
	ARP       *ARP
	IPv4      *IPv4
	ICMP      *ICMP
	UDP       *UDP
	VXLAN     *VXLAN
}

// ARP is an Ethernet/IPv4 ARP message.
type ARP struct {
	Op                   uint16
	SenderMAC, TargetMAC net.HardwareAddr
	SenderIP, TargetIP   net.IP
}

// IPv4 is an IPv4 header.
type IPv4 struct {
	Src, Dst   net.IP
	TTL, Proto uint8
}

// ICMP is an ICMP header.
type ICMP struct{ Type, Code uint8 }

// UDP is a UDP header.
type UDP struct{ Src, Dst uint16 }

// VXLAN is a VXLAN header and the frame it carries.
type VXLAN struct {
	VNI   uint32
	Inner *Packet
}

// VXLANPort is the IANA VXLAN UDP port, which OVS uses.
const VXLANPort = 4789

// Decode parses a frame. Unknown layers are left nil; a truncated header
// is an error.
func Decode(b []byte) (*Packet, error) {
	if len(b) < 14 {
		return nil, errors.New("frame shorter than an Ethernet header")
	}
	p := &Packet{Data: b, Dst: net.HardwareAddr(b[0:6]), Src: net.HardwareAddr(b[6:12]), VLAN: -1}
	et, off := binary.BigEndian.Uint16(b[12:14]), 14
	if et == 0x8100 {
		if len(b) < 18 {
			return nil, errors.New("truncated 802.1Q tag")
		}
		p.VLAN = int(binary.BigEndian.Uint16(b[14:16]) & 0xfff)
		et, off = binary.BigEndian.Uint16(b[16:18]), 18
	}
	p.EtherType = et
	l3 := b[off:]
	switch et {
	case 0x0806:
		if len(l3) < 28 {
			return nil, errors.New("truncated ARP")
		}
		p.ARP = &ARP{Op: binary.BigEndian.Uint16(l3[6:8]),
			SenderMAC: net.HardwareAddr(l3[8:14]), SenderIP: net.IP(l3[14:18]),
			TargetMAC: net.HardwareAddr(l3[18:24]), TargetIP: net.IP(l3[24:28])}
	case 0x0800:
		if len(l3) < 20 {
			return nil, errors.New("truncated IPv4")
		}
		ihl := int(l3[0]&15) * 4
		if ihl < 20 || len(l3) < ihl {
			return nil, errors.New("bad IPv4 header length")
		}
		p.IPv4 = &IPv4{Src: net.IP(l3[12:16]), Dst: net.IP(l3[16:20]), TTL: l3[8], Proto: l3[9]}
		l4 := l3[ihl:]
		switch p.IPv4.Proto {
		case 1:
			if len(l4) >= 2 {
				p.ICMP = &ICMP{Type: l4[0], Code: l4[1]}
			}
		case 17:
			if len(l4) < 8 {
				return nil, errors.New("truncated UDP")
			}
			p.UDP = &UDP{Src: binary.BigEndian.Uint16(l4[0:2]), Dst: binary.BigEndian.Uint16(l4[2:4])}
			if p.UDP.Dst == VXLANPort {
				if len(l4) < 16 {
					return nil, errors.New("truncated VXLAN")
				}
				inner, err := Decode(l4[16:])
				if err != nil {
					return nil, fmt.Errorf("VXLAN payload: %w", err)
				}
				p.VXLAN = &VXLAN{VNI: uint32(l4[12])<<16 | uint32(l4[13])<<8 | uint32(l4[14]), Inner: inner}
			}
		}
	}
	return p, nil
}

// String is a one-line summary, outer to inner.
func (p *Packet) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "eth %s>%s", p.Src, p.Dst)
	if p.VLAN >= 0 {
		fmt.Fprintf(&s, " vlan=%d", p.VLAN)
	}
	switch {
	case p.ARP != nil:
		fmt.Fprintf(&s, " arp op=%d %s(%s)>%s", p.ARP.Op, p.ARP.SenderIP, p.ARP.SenderMAC, p.ARP.TargetIP)
	case p.IPv4 != nil:
		fmt.Fprintf(&s, " ipv4 %s>%s ttl=%d proto=%d", p.IPv4.Src, p.IPv4.Dst, p.IPv4.TTL, p.IPv4.Proto)
	default:
		fmt.Fprintf(&s, " type=0x%04x", p.EtherType)
	}
	if p.ICMP != nil {
		fmt.Fprintf(&s, " icmp type=%d code=%d", p.ICMP.Type, p.ICMP.Code)
	}
	if p.UDP != nil {
		fmt.Fprintf(&s, " udp %d>%d", p.UDP.Src, p.UDP.Dst)
	}
	if p.VXLAN != nil {
		fmt.Fprintf(&s, " vxlan vni=%d [%s]", p.VXLAN.VNI, p.VXLAN.Inner)
	}
	return s.String()
}

// ReadPcap decodes every complete record of a pcap file (OVS writes them
// as they pass, so a record being written is left for the next read).
func ReadPcap(path string) ([]*Packet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 24 {
		return nil, nil // header not written yet
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b[0:4]) {
	case 0xa1b2c3d4:
		bo = binary.LittleEndian
	case 0xd4c3b2a1:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%s: not a pcap file", path)
	}
	var pkts []*Packet
	for off := 24; off+16 <= len(b); {
		n := int(bo.Uint32(b[off+8 : off+12]))
		if off+16+n > len(b) {
			break
		}
		p, err := Decode(b[off+16 : off+16+n])
		if err != nil {
			return pkts, fmt.Errorf("%s: record %d: %w", path, len(pkts), err)
		}
		pkts = append(pkts, p)
		off += 16 + n
	}
	return pkts, nil
}
