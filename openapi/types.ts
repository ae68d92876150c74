// Generated from openapi/openapi.json by openapi-typescript (`npm run openapi`). Do not edit.
export interface paths {
    "/api/process-data": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Submit one sample of a system's processes
         * @description Stores one point per process. Answers 201 only once storage has acknowledged the write. A batch carrying the same `timestamp` again rewrites the same points (retries are idempotent).
         */
        post: operations["process-submit"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/filter-processes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Samples taken inside a time-of-day window
         * @description Also served as /api/process-filter/. A sample is returned when the wall-clock time in `tz` at its instant lies in [`start_time`, `end_time`) on `date` (default today), or on any day of [`from`, `to`). A window whose end is not after its start runs into the next day. Daylight saving: on a fall-back day a window over the repeated hour includes both occurrences; on a spring-forward day wall-clock times that do not exist match nothing. Pages: `next`/`previous` are links (absolute under PUBLIC_URL, else relative to the server's root), `next_page`/`previous_page` the page numbers.
         */
        get: operations["process-filter"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/process-duration": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * How long a process has been observed running on a system
         * @description `duration_seconds` sums the process's runs; a gap between samples longer than RUN_GAP_SECONDS (default 15 s, three sampling intervals) ends a run.
         */
        get: operations["process-duration"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/process-runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * When a process ran, per system: runs, instances, restarts, crash loops
         * @description Every system that ran `process_name` in [`from`, `to`) (default the last 24 h), or only `system_name`. A run ends where the process's samples are more than 3 sampling intervals apart (the interval the agent sent; RUN_GAP_SECONDS without one). An instance is (pid, started_at). Paged by system.
         */
        get: operations["process-runs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/processes-at": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What was running on a system at an instant
         * @description The sample in force at `at`: the system's last sample at or before it, if no older than 3 sampling intervals (else 404: the system was not reporting then). Its `top` processes by `sort`.
         */
        get: operations["process-at"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/systems": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every system that has reported within the retention period */
        get: operations["systems-list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/watches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The active watches (WATCHES_FILE)
         * @description Reloaded on SIGHUP and when the file changes; an invalid new file keeps these.
         */
        get: operations["watches-list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/process-status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Is every expected process running? Per watch × system: up, down, never_seen, system_silent
         * @description States as of the last evaluation (every WATCH_EVALUATION_MS), computed from the store: servers on one store agree (503 while the last evaluation could not read storage). With `from`/`to`, also each entry's down intervals in the range, with earliest/latest edges.
         */
        get: operations["watches-status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/process-filter": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Samples taken inside a time-of-day window
         * @description Alias of /api/filter-processes.
         */
        get: operations["process-filter-alias"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        ProcessIn: {
            /**
             * @description Process id
             * @example 1234
             */
            pid: number;
            /**
             * @description Process name
             * @example python
             */
            name: string;
            /**
             * @description CPU used since the previous sample; 100 = one full core
             * @example 5.2
             */
            cpu_percent: number;
            /**
             * @description Resident memory over total memory, in percent
             * @example 1.5
             */
            memory_percent: number;
            /**
             * @description Resident set size in bytes
             * @example 52428800
             */
            memory_rss?: number;
            /**
             * @description When the process started
             * @example 2026-03-10T08:12:04Z
             */
            started_at?: string | number;
            /**
             * @description The process's user
             * @example www-data
             */
            user?: string;
            /**
             * @description Command line (control characters are kept as sent)
             * @example python3 -m http.server 8080
             */
            command?: string;
            /**
             * @description Scheduler state as the OS names it
             * @example running
             */
            state?: string;
            /**
             * @description Parent's process id
             * @example 1
             */
            parent_pid?: number;
            /**
             * @description Threads in the process
             * @example 4
             */
            num_threads?: number;
            /**
             * @description CPU time in user mode since the process started, seconds
             * @example 12.5
             */
            cpu_user_seconds?: number;
            /**
             * @description CPU time in kernel mode since the process started, seconds
             * @example 3.25
             */
            cpu_system_seconds?: number;
            /**
             * @description Page faults not needing a disk read, since the process started
             * @example 20480
             */
            minor_faults?: number;
            /**
             * @description Page faults that read from disk, since the process started
             * @example 12
             */
            major_faults?: number;
            /**
             * @description Virtual memory size in bytes
             * @example 268435456
             */
            memory_vms?: number;
        };
        Sample: {
            /** @example System_A */
            system_name: string;
            /** @example 1234 */
            pid: number;
            /** @example python */
            name: string;
            /** @example 5.2 */
            cpu_percent: number;
            /** @example 1.5 */
            memory_percent: number;
            /**
             * @description Sampling instant, ISO-8601, UTC
             * @example 2026-03-10T00:45:00.000Z
             */
            timestamp: string;
            /** @example 52428800 */
            memory_rss?: number;
            /** @example 2026-03-10T08:12:04.000Z */
            started_at?: string;
            /** @example www-data */
            user?: string;
            /** @example python3 -m http.server 8080 */
            command?: string;
            /** @example running */
            state?: string;
            /** @example 1 */
            parent_pid?: number;
            /** @example 4 */
            num_threads?: number;
            /** @example 12.5 */
            cpu_user_seconds?: number;
            /** @example 3.25 */
            cpu_system_seconds?: number;
            /** @example 20480 */
            minor_faults?: number;
            /** @example 12 */
            major_faults?: number;
            /** @example 268435456 */
            memory_vms?: number;
        };
        ProcessRun: {
            /** @description First sighting */
            start: string;
            /** @description Last sighting */
            end: string;
            /** @description One sampling interval before the first sighting */
            start_earliest: string;
            /** @description One sampling interval after the last sighting */
            end_latest: string;
            /** @description end − start */
            seconds: number;
            /** @description Sampling instants at which the name was seen */
            samples: number;
            /** @description Seen in one sample only: start = end */
            single_sample: boolean;
            instances: {
                pid: number;
                started_at: string | null;
            }[];
        };
        Instance: {
            pid: number;
            /** @description When the process started (from the agent); null when no sample carried it */
            started_at: string | null;
            first_seen: string;
            last_seen: string;
            samples: number;
        };
        Watch: {
            name: string;
            /** @description Exact name, or a regular expression written /.../ */
            process_name: string;
            /** @description `all`, a list of names, or /regex/ */
            systems: string | string[];
            min_instances: number;
            /** @description As written; null = 3 sampling intervals of each system */
            for: string | null;
        };
        ProcessStatus: {
            watch: string;
            process_name: string;
            system_name: string;
            /** @enum {string} */
            state: "up" | "down" | "never_seen" | "system_silent";
            /** @description up: first sighting back; down: last sighting; silent: last sample */
            since: string | null;
            last_seen: string | null;
            /** @description Matching processes in the system's newest sample */
            instances: number;
            min_instances: number;
            for_seconds: number;
            /** @description With from/to only */
            down_intervals?: components["schemas"]["DownInterval"][];
        };
        DownInterval: {
            /** @description Its last sighting before: down after this (null: before `from`) */
            start_earliest: string | null;
            /** @description One interval later: down by then */
            start_latest: string | null;
            /** @description One interval before it was seen again (null: still down at `to`) */
            end_earliest: string | null;
            /** @description When it was seen again (null: still down at `to`) */
            end_latest: string | null;
            /** @description The system sent no sample in between: not the process's fault */
            system_silent: boolean;
        };
        /**
         * @example {
         *       "success": false,
         *       "code": "BAD_REQUEST",
         *       "message": "processes.1.cpu_percent: Too small: expected number to be >=0",
         *       "errors": [
         *         {
         *           "path": "processes.1.cpu_percent",
         *           "message": "Too small: expected number to be >=0"
         *         }
         *       ]
         *     }
         */
        Error: {
            /** @constant */
            success: false;
            /**
             * @description What kind of error, as tRPC names it
             * @enum {string}
             */
            code: "BAD_REQUEST" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "METHOD_NOT_SUPPORTED" | "TIMEOUT" | "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "TOO_MANY_REQUESTS" | "REQUEST_HEADER_FIELDS_TOO_LARGE" | "INTERNAL_SERVER_ERROR" | "SERVICE_UNAVAILABLE";
            /** @description What went wrong, for a person */
            message: string;
            /** @description Each field that was wrong (400 only) */
            errors?: {
                /** @description The field, dotted: "processes.3.cpu_percent" */
                path: string;
                message: string;
            }[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    "process-submit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @description The machine the sample was taken on
                     * @example System_A
                     */
                    system_name: string;
                    /** @description Every process of the system at the sampling instant, each (name, pid) once */
                    processes: components["schemas"]["ProcessIn"][];
                    /**
                     * @description Sampling instant; default: time of receipt. Retries reuse it.
                     * @example 2026-03-10T00:45:00Z
                     */
                    timestamp?: string | number;
                    /** @description The agent's sampling interval in ms. A run ends where a process's samples are more than 3 intervals apart; without it the server assumes RUN_GAP_SECONDS / 3. */
                    interval_ms?: number;
                };
            };
        };
        responses: {
            /** @description Stored */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        /** @example Data received successfully. */
                        message: string;
                        /**
                         * @description Samples stored: one per process
                         * @example 2
                         */
                        accepted: number;
                    };
                };
            };
            /** @description Invalid body: a field is missing or wrong (each is named in `errors`), the same (name, pid) twice, more than MAX_BATCH_PROCESSES processes, or a timestamp older than the retention period */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "BAD_REQUEST",
                     *       "message": "System name and processes are required.",
                     *       "errors": [
                     *         {
                     *           "path": "system_name",
                     *           "message": "required"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No valid API token (only when API tokens are configured) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "UNAUTHORIZED",
                     *       "message": "A valid API token is required (Authorization: Bearer <token>)."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The token does not have the "write" scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "FORBIDDEN",
                     *       "message": "This token does not have the \"write\" scope."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is larger than MAX_BODY_BYTES */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "PAYLOAD_TOO_LARGE",
                     *       "message": "Request body too large: more than 5242880 bytes"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not labelled application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "UNSUPPORTED_MEDIA_TYPE",
                     *       "message": "Content-Type must be application/json (got \"text/plain\")"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description More than WRITE_RATE_PER_MINUTE writes for this token: nothing was stored; retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "TOO_MANY_REQUESTS",
                     *       "message": "Too many writes for this token; retry in 2 s."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Storage is unavailable: nothing was stored; retry after Retry-After (an agent keeps the sample) */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "SERVICE_UNAVAILABLE",
                     *       "message": "storage unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "process-filter": {
        parameters: {
            query?: {
                /** @description Window start, inclusive: local wall-clock time in tz; default midnight */
                start_time?: string;
                /** @description Window end, exclusive; default the next midnight. Not after start_time = the window runs into the next day */
                end_time?: string;
                /** @description The local day the window applies to; default today (in tz) */
                date?: string;
                /** @description Apply the window on every day of [from, to); default `to` minus one day */
                from?: string;
                /** @description End of [from, to), exclusive; default now. At most MAX_QUERY_DAYS (366) days after from */
                to?: string;
                /** @description IANA zone of the times of day and dates; default the server's TZ */
                tz?: string;
                /** @description Only samples of this system */
                system_name?: string;
                /** @description Only processes of this name */
                process_name?: string;
                /** @description Only this process id */
                pid?: number;
                /** @description Page number, from 1 */
                page?: number;
                /** @description Rows per page; default DEFAULT_PAGE_SIZE (1000), at most MAX_PAGE_SIZE (10 000) */
                page_size?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        /**
                         * @description All matching rows, not just this page
                         * @example 2
                         */
                        count: number;
                        /** @example 2 */
                        page: number;
                        /** @example 1000 */
                        page_size: number;
                        /**
                         * @description The next page of the same query: absolute under PUBLIC_URL, else relative to the server's root; null when there is none
                         * @example /api/filter-processes/?start_time=00%3A30%3A00&end_time=01%3A05%3A00&page=3
                         */
                        next: string | null;
                        /**
                         * @description The previous page of the same query: absolute under PUBLIC_URL, else relative to the server's root; null when there is none
                         * @example /api/filter-processes/?start_time=00%3A30%3A00&end_time=01%3A05%3A00&page=1
                         */
                        previous: string | null;
                        /**
                         * @description Number of the next page; null on the last
                         * @example 3
                         */
                        next_page: number | null;
                        /**
                         * @description Number of the previous page; null on the first
                         * @example 1
                         */
                        previous_page: number | null;
                        /** @description This page's samples, by timestamp, system_name, name, then pid */
                        data: components["schemas"]["Sample"][];
                    };
                };
            };
            /** @description A parameter is invalid or given more than once (each is named in `errors`) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "BAD_REQUEST",
                     *       "message": "page_size: given 2 times (\"1\", \"2\"); give it once",
                     *       "errors": [
                     *         {
                     *           "path": "page_size",
                     *           "message": "given 2 times (\"1\", \"2\"); give it once"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No valid API token (only when API tokens are configured) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "UNAUTHORIZED",
                     *       "message": "A valid API token is required (Authorization: Bearer <token>)."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The token does not have the "read" scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "FORBIDDEN",
                     *       "message": "This token does not have the \"read\" scope."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Storage is unavailable; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "SERVICE_UNAVAILABLE",
                     *       "message": "storage unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "process-duration": {
        parameters: {
            query: {
                /** @description The system the process ran on */
                system_name: string;
                /** @description The process's name */
                process_name: string;
                /** @description Only consider samples from this instant on; default: the retention period */
                from?: string;
                /** @description Only consider samples up to this instant; default now */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        /** @example Vinay */
                        system_name: string;
                        /** @example Code.exe */
                        process_name: string;
                        /**
                         * @description Sum of the observed runs
                         * @example 5
                         */
                        duration_seconds: number;
                        /**
                         * @description "H:MM:SS", or "N day(s), H:MM:SS" past a day
                         * @example 0:00:05
                         */
                        duration_human_readable: string;
                        /** @example 2026-03-10T12:00:00.000Z */
                        first_seen: string;
                        /** @example 2026-03-10T12:00:05.000Z */
                        last_seen: string;
                        /**
                         * @description Seen within RUN_GAP_SECONDS of now
                         * @example false
                         */
                        running: boolean;
                        /**
                         * @description Since the process started (or its current run began), when running; else null
                         * @example null
                         */
                        uptime_seconds: number | null;
                        runs: {
                            /**
                             * @description First sample of the run
                             * @example 2026-03-10T12:00:00.000Z
                             */
                            start: string;
                            /**
                             * @description Last sample of the run
                             * @example 2026-03-10T12:00:05.000Z
                             */
                            end: string;
                            /** @example 5 */
                            seconds: number;
                            /**
                             * @description Process ids seen during the run
                             * @example [
                             *       42
                             *     ]
                             */
                            pids: number[];
                        }[];
                    };
                };
            };
            /** @description system_name or process_name is missing or empty, or from/to is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "BAD_REQUEST",
                     *       "message": "Both system name and process name are required.",
                     *       "errors": [
                     *         {
                     *           "path": "process_name",
                     *           "message": "required"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No valid API token (only when API tokens are configured) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "UNAUTHORIZED",
                     *       "message": "A valid API token is required (Authorization: Bearer <token>)."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The token does not have the "read" scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "FORBIDDEN",
                     *       "message": "This token does not have the \"read\" scope."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The process was never seen on that system in the range */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "NOT_FOUND",
                     *       "message": "No process found with the specified name on the system."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Storage is unavailable; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "SERVICE_UNAVAILABLE",
                     *       "message": "storage unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "process-runs": {
        parameters: {
            query: {
                /** @description The process name (required) */
                process_name: string;
                /** @description One system; default every system that ran it */
                system_name?: string;
                /** @description Range start, inclusive; default `to` − 24 h */
                from?: string;
                /** @description Range end, exclusive; default now */
                to?: string;
                /** @description Page of systems */
                page?: number;
                /** @description Systems per page; default 100, at most 1000 */
                page_size?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        process_name: string;
                        from: string;
                        to: string;
                        /** @description Systems that ran the process in the range, not just this page */
                        count: number;
                        page: number;
                        page_size: number;
                        /**
                         * @description The next page of the same query: absolute under PUBLIC_URL, else relative to the server's root; null when there is none
                         * @example /api/process-runs/?process_name=nginx&page=3
                         */
                        next: string | null;
                        /**
                         * @description The previous page of the same query: absolute under PUBLIC_URL, else relative to the server's root; null when there is none
                         * @example /api/process-runs/?process_name=nginx&page=1
                         */
                        previous: string | null;
                        /**
                         * @description Number of the next page; null on the last
                         * @example 3
                         */
                        next_page: number | null;
                        /**
                         * @description Number of the previous page; null on the first
                         * @example 1
                         */
                        previous_page: number | null;
                        systems: {
                            system_name: string;
                            first_seen: string;
                            last_seen: string;
                            runs: components["schemas"]["ProcessRun"][];
                            instances: components["schemas"]["Instance"][];
                            /** @description Instances that were not running at the range's first sighting */
                            restarts: number;
                            /** @description At least CRASH_LOOP_RESTARTS restarts within CRASH_LOOP_WINDOW_SECONDS somewhere in the range */
                            crash_loop: boolean;
                        }[];
                    };
                };
            };
            /** @description A parameter is missing, invalid or given more than once (each is named in `errors`) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "BAD_REQUEST",
                     *       "message": "from: must be earlier than to"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No valid API token (only when API tokens are configured) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "UNAUTHORIZED",
                     *       "message": "A valid API token is required (Authorization: Bearer <token>)."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The token does not have the "read" scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "FORBIDDEN",
                     *       "message": "This token does not have the \"read\" scope."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The process was not seen in the range (on that system) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "NOT_FOUND",
                     *       "message": "No process found with the specified name on the system."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Storage is unavailable; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "SERVICE_UNAVAILABLE",
                     *       "message": "storage unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "process-at": {
        parameters: {
            query: {
                /** @description The system (required) */
                system_name: string;
                /** @description ISO-8601 instant with a zone (required); not in the future */
                at: string;
                /** @description How many processes (default 20, at most 1000) */
                top?: number;
                /** @description cpu and memory: highest first; name: A→Z */
                sort?: "cpu" | "memory" | "name";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        system_name: string;
                        at: string;
                        /** @description The sample in force at `at`: the last one at or before it */
                        sample_time: string;
                        /** @description The sampling interval the agent sent with it */
                        interval_ms: number | null;
                        /** @description Processes in that sample, not just those returned */
                        process_count: number;
                        /** @enum {string} */
                        sort: "cpu" | "memory" | "name";
                        processes: components["schemas"]["Sample"][];
                    };
                };
            };
            /** @description A parameter is missing, invalid or given more than once, or `at` is in the future */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "BAD_REQUEST",
                     *       "message": "from: must be earlier than to"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No valid API token (only when API tokens are configured) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "UNAUTHORIZED",
                     *       "message": "A valid API token is required (Authorization: Bearer <token>)."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The token does not have the "read" scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "FORBIDDEN",
                     *       "message": "This token does not have the \"read\" scope."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No sample in force at that instant: unknown system, or it was not reporting then */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "NOT_FOUND",
                     *       "message": "No process found with the specified name on the system."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Storage is unavailable; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "SERVICE_UNAVAILABLE",
                     *       "message": "storage unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "systems-list": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        systems: {
                            /** @example System_A */
                            system_name: string;
                            /** @example 2026-03-10T00:45:00.000Z */
                            first_seen: string;
                            /** @example 2026-03-10T12:00:00.000Z */
                            last_seen: string;
                            /**
                             * @description Processes in the latest sample
                             * @example 2
                             */
                            process_count: number;
                        }[];
                    };
                };
            };
            /** @description No valid API token (only when API tokens are configured) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "UNAUTHORIZED",
                     *       "message": "A valid API token is required (Authorization: Bearer <token>)."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The token does not have the "read" scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "FORBIDDEN",
                     *       "message": "This token does not have the \"read\" scope."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Storage is unavailable; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "SERVICE_UNAVAILABLE",
                     *       "message": "storage unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "watches-list": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        /** @description WATCHES_FILE; null when no watches are configured */
                        file: string | null;
                        watches: components["schemas"]["Watch"][];
                    };
                };
            };
            /** @description No valid API token (only when API tokens are configured) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "UNAUTHORIZED",
                     *       "message": "A valid API token is required (Authorization: Bearer <token>)."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The token does not have the "read" scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "FORBIDDEN",
                     *       "message": "This token does not have the \"read\" scope."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "watches-status": {
        parameters: {
            query?: {
                /** @description Only this system */
                system_name?: string;
                /** @description Only watches whose process_name is this, or matches it */
                process_name?: string;
                /** @description Only this state */
                state?: "up" | "down" | "never_seen" | "system_silent";
                /** @description With `to`: also list the down intervals in [from, to); default `to` − 24 h */
                from?: string;
                /** @description Range end, exclusive; default now */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        /** @description When the states were last evaluated (null: not yet) */
                        evaluated_at: string | null;
                        count: number;
                        statuses: components["schemas"]["ProcessStatus"][];
                    };
                };
            };
            /** @description A parameter is invalid, the range is empty or too long, or too many entries for intervals */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "BAD_REQUEST",
                     *       "message": "from: must be earlier than to"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No valid API token (only when API tokens are configured) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "UNAUTHORIZED",
                     *       "message": "A valid API token is required (Authorization: Bearer <token>)."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The token does not have the "read" scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "FORBIDDEN",
                     *       "message": "This token does not have the \"read\" scope."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Storage is unavailable; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "SERVICE_UNAVAILABLE",
                     *       "message": "storage unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "process-filter-alias": {
        parameters: {
            query?: {
                /** @description Window start, inclusive: local wall-clock time in tz; default midnight */
                start_time?: string;
                /** @description Window end, exclusive; default the next midnight. Not after start_time = the window runs into the next day */
                end_time?: string;
                /** @description The local day the window applies to; default today (in tz) */
                date?: string;
                /** @description Apply the window on every day of [from, to); default `to` minus one day */
                from?: string;
                /** @description End of [from, to), exclusive; default now. At most MAX_QUERY_DAYS (366) days after from */
                to?: string;
                /** @description IANA zone of the times of day and dates; default the server's TZ */
                tz?: string;
                /** @description Only samples of this system */
                system_name?: string;
                /** @description Only processes of this name */
                process_name?: string;
                /** @description Only this process id */
                pid?: number;
                /** @description Page number, from 1 */
                page?: number;
                /** @description Rows per page; default DEFAULT_PAGE_SIZE (1000), at most MAX_PAGE_SIZE (10 000) */
                page_size?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        /**
                         * @description All matching rows, not just this page
                         * @example 2
                         */
                        count: number;
                        /** @example 2 */
                        page: number;
                        /** @example 1000 */
                        page_size: number;
                        /**
                         * @description The next page of the same query: absolute under PUBLIC_URL, else relative to the server's root; null when there is none
                         * @example /api/filter-processes/?start_time=00%3A30%3A00&end_time=01%3A05%3A00&page=3
                         */
                        next: string | null;
                        /**
                         * @description The previous page of the same query: absolute under PUBLIC_URL, else relative to the server's root; null when there is none
                         * @example /api/filter-processes/?start_time=00%3A30%3A00&end_time=01%3A05%3A00&page=1
                         */
                        previous: string | null;
                        /**
                         * @description Number of the next page; null on the last
                         * @example 3
                         */
                        next_page: number | null;
                        /**
                         * @description Number of the previous page; null on the first
                         * @example 1
                         */
                        previous_page: number | null;
                        /** @description This page's samples, by timestamp, system_name, name, then pid */
                        data: components["schemas"]["Sample"][];
                    };
                };
            };
            /** @description A parameter is invalid or given more than once (each is named in `errors`) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "BAD_REQUEST",
                     *       "message": "page_size: given 2 times (\"1\", \"2\"); give it once",
                     *       "errors": [
                     *         {
                     *           "path": "page_size",
                     *           "message": "given 2 times (\"1\", \"2\"); give it once"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No valid API token (only when API tokens are configured) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "UNAUTHORIZED",
                     *       "message": "A valid API token is required (Authorization: Bearer <token>)."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The token does not have the "read" scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "FORBIDDEN",
                     *       "message": "This token does not have the \"read\" scope."
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Storage is unavailable; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "success": false,
                     *       "code": "SERVICE_UNAVAILABLE",
                     *       "message": "storage unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
