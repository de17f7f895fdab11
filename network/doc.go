// Package network manages bridge networks: bridges, veth pairs, IPAM,
// published ports and egress NAT. It imports neither spec, planner, runtime
// nor dns.
package network
