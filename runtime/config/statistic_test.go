package config_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
)

func TestNewStatistic(t *testing.T) {
	c := loadExample(t)
	ten := 10.0
	s, err := c.NewStatistic(config.StatisticSpec{
		ID: "api-1", StatType: "ServiceLevel", Object: config.ObjectSpec{Type: "GroupQueues", ID: "AllQueues"},
		Profile: "Last15", Filter: "Gold", Notification: config.NotificationSpec{Mode: "periodical", Period: &ten},
	})
	require.NoError(t, err)
	st, _ := c.StatType("ServiceLevel")
	tp, _ := c.Profile("Last15")
	gold, _ := c.Filter("Gold")
	assert.Equal(t, &config.Statistic{ID: "api-1", Object: config.ObjectRef{Type: object.TypeGroupQueues, ID: "AllQueues"}, Def: &config.Def{StatType: st, Profile: tp, TimeRange: config.DefaultTimeRange(), Filter: gold, Notification: config.Notification{Mode: config.NotifyPeriodical, Period: 10 * time.Second}}}, s)
}

func TestNewStatisticErrors(t *testing.T) {
	c := loadExample(t)
	neg := -1.0
	_, err := c.NewStatistic(config.StatisticSpec{
		StatType: "CallsAnswered", Object: config.ObjectSpec{Type: "Agent", ID: "9999"},
		TimeRange: "SL20", Notification: config.NotificationSpec{Insensitivity: &neg},
	})
	var se *config.SpecError
	require.True(t, errors.As(err, &se), "want *SpecError, got %T", err)
	assert.Equal(t, []config.FieldProblem{
		{Field: "object.type", Msg: `stat type "CallsAnswered" is for Queue, GroupQueues, not Agent`},
		{Field: "object.id", Msg: `no Agent "9999" in the topology`},
		{Field: "timeRange", Msg: "category TotalNumber takes no time range"},
		{Field: "notification.insensitivity", Msg: "insensitivity must be a percentage ≥ 0"},
	}, se.Problems)
	assert.EqualError(t, err, `object.type: stat type "CallsAnswered" is for Queue, GroupQueues, not Agent; `+
		`object.id: no Agent "9999" in the topology; timeRange: category TotalNumber takes no time range; `+
		`notification.insensitivity: insensitivity must be a percentage ≥ 0`)
}
