-- How long an order may wait for its acknowledgement (configured beside the report deadlines,
-- written by onemap at start), and which late orders the desk was told of, once each.
CREATE TABLE order_rule (
    id          integer PRIMARY KEY CHECK (id = 1),
    ack_minutes integer NOT NULL CHECK (ack_minutes > 0)
);
INSERT INTO order_rule VALUES (1, 15);

CREATE TABLE order_notice (
    order_id    bigint NOT NULL REFERENCES response_order (id) ON DELETE CASCADE,
    what        text NOT NULL CHECK (what IN ('ack_overdue', 'overdue')),
    noticed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, what)
);
