// Replicas of Typha's syncproto types (typha/pkg/syncproto/sync_proto.go): same field names, field types and
// RegisterName strings as Calico, so Go's encoding/gob treats them exactly like the real ones.
package main

import (
	"encoding/gob"
	"time"
)

const prefix = "github.com/projectcalico/typha/pkg/syncproto."

type Envelope struct {
	Message interface{}
}

type SyncerType string
type CompressionAlgorithm string
type SyncStatus uint8
type UpdateType uint8

type MsgClientHello struct {
	Hostname                       string
	Info                           string
	Version                        string
	SyncerType                     SyncerType
	SupportsDecoderRestart         bool
	SupportedCompressionAlgorithms []CompressionAlgorithm
	SupportsModernPolicyKeys       bool
	ClientConnID                   uint64
}

type MsgServerHello struct {
	Version                     string
	SyncerType                  SyncerType
	SupportsNodeResourceUpdates bool
	ServerConnID                uint64
}

type MsgDecoderRestart struct {
	Message              string
	CompressionAlgorithm CompressionAlgorithm
}

type MsgACK struct{}

type MsgSyncStatus struct {
	SyncStatus SyncStatus
}

type MsgPing struct {
	Timestamp time.Time
}

type MsgPong struct {
	PingTimestamp time.Time
	PongTimestamp time.Time
}

type MsgKVs struct {
	KVs []SerializedUpdate
}

type SerializedUpdate struct {
	Key               string
	Value             []byte
	Revision          interface{}
	V3ResourceVersion string
	TTL               time.Duration
	UpdateType        UpdateType
}

func registerSyncproto() {
	gob.RegisterName(prefix+"MsgClientHello", MsgClientHello{})
	gob.RegisterName(prefix+"MsgServerHello", MsgServerHello{})
	gob.RegisterName(prefix+"MsgDecoderRestart", MsgDecoderRestart{})
	gob.RegisterName(prefix+"MsgACK", MsgACK{})
	gob.RegisterName(prefix+"MsgSyncStatus", MsgSyncStatus{})
	gob.RegisterName(prefix+"MsgPing", MsgPing{})
	gob.RegisterName(prefix+"MsgPong", MsgPong{})
	gob.RegisterName(prefix+"MsgKVs", MsgKVs{})
}
