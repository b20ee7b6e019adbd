export { jobDead, jobDone, jobNs, jobqueue, jobqueueDead, jobs, queues } from './jobqueue.ts';
