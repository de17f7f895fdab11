// Package dns is the embedded resolver that answers inside each container's
// network namespace: records of the container's networks, answers shaped like
// Docker's, and forwarding of other names to the host's resolvers. It imports
// neither spec, planner, runtime nor network.
package dns
