// The same cases as on the dev server, against the local cluster: two worker processes standing for
// two hosts, each polling its own host queue beside the shared one (docs/deploy.md, "Workers on
// more than one host"). The cases live in one file so both servers run exactly the same checks.
import '../worker/host-queue.test';
