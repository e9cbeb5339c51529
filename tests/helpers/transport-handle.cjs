// Jest setup of the "handle" project: the default transport, whatever the shell says.
delete process.env.TSMONGOOSE_TRANSPORT;
