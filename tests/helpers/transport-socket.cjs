// Jest setup of the "socket" project: every Manager (and every child process
// a test starts) uses the node:net transport.
process.env.TSMONGOOSE_TRANSPORT = "socket";
