"""SMS through Aliyun or Tencent Cloud (their signed HTTP APIs), delivery receipts and replies."""
