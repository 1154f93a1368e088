package server

// HistoryBoardConfig is exported to the browser tests (package server_test).
const HistoryBoardConfig = historyBoardConfig
