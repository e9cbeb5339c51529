// errors.ts: the facade's errors are the hosts' (shim/errors.ts, a leaf
// module both sides import), so that the shims never import the facade.
export * from "../../shim/errors";
