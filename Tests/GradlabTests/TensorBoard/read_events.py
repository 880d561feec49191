"""Reads the event files of a folder with the tensorboard package and prints what they hold as JSON.

    python read_events.py DIR

Every record is first read strictly with tensorboard's own TFRecord reader (the one it uses without
TensorFlow), which checks both masked CRC-32C of every record; a bad record exits with status 1 and says
which. The values then come from tensorboard's EventAccumulator, the reader behind its scalar, histogram
and text dashboards, keeping every event; each histogram is also migrated as the dashboards draw it. Floats are printed with repr ("nan", "inf") so that the JSON
stays standard and every bit reaches the caller.
"""
import json
import os
import sys

from tensorboard import data_compat
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow


def strict_records(path):
    reader = pywrap_tensorflow.PyRecordReader_New(path)
    events = []
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            return events
        except errors.DataLossError as error:
            sys.exit(f"read_events.py: {path}: record {len(events)}: {error.message}")
        events.append(event_pb2.Event.FromString(reader.record()))


def drawing_problems(events):
    """What is wrong with the histograms as TensorBoard's dashboards draw them: each legacy histogram is
    migrated (data_compat) to [left, right, count] buckets, which must not run backwards and must count
    the histogram's entries."""
    problems = []
    for event in events:
        for value in event.summary.value:
            if value.WhichOneof("value") != "histo":
                continue
            buckets = tensor_util.make_ndarray(data_compat.migrate_value(value).tensor)
            place = f"{value.tag} at step {event.step}"
            for left, right, _ in buckets:
                if not left <= right:
                    problems.append(f"{place}: a bucket from {left} to {right}")
            drawn = float(buckets[:, 2].sum()) if len(buckets) else 0.0
            if drawn != value.histo.num:
                problems.append(f"{place}: drawn counts {drawn} for num {value.histo.num}")
    return problems


def main(folder):
    files = sorted(name for name in os.listdir(folder) if "tfevents" in name)
    records = [strict_records(os.path.join(folder, name)) for name in files]
    everything = {
        event_accumulator.SCALARS: 0,
        event_accumulator.HISTOGRAMS: 0,
        event_accumulator.TENSORS: 0,
        event_accumulator.COMPRESSED_HISTOGRAMS: 0,
    }
    accumulator = event_accumulator.EventAccumulator(folder, size_guidance=everything)
    accumulator.Reload()
    tags = accumulator.Tags()
    histogram_fields = ["min", "max", "num", "sum", "sum_squares"]
    result = {
        "files": files,
        "records": [len(events) for events in records],
        "file_versions": [events[0].file_version if events else "" for events in records],
        "drawing_problems": [problem for events in records for problem in drawing_problems(events)],
        "scalars": {
            tag: [[e.step, repr(e.value)] for e in accumulator.Scalars(tag)] for tag in tags["scalars"]
        },
        "histograms": {
            tag: [
                [
                    e.step,
                    {field: repr(getattr(e.histogram_value, field)) for field in histogram_fields}
                    | {
                        "bucket_limit": [repr(x) for x in e.histogram_value.bucket_limit],
                        "bucket": [repr(x) for x in e.histogram_value.bucket],
                    },
                ]
                for e in accumulator.Histograms(tag)
            ]
            for tag in tags["histograms"]
        },
        "texts": {
            tag: [[e.step, [s.decode("utf-8") for s in e.tensor_proto.string_val]] for e in accumulator.Tensors(tag)]
            for tag in tags["tensors"]
            if accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "text"
        },
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
