/// <summary>
/// Remembers, for the current session, the headers whose create was a repeat (contract §2.1), so that the
/// lines deep-inserted with the repeated body are ignored instead of being added to the existing document.
/// The header API pages reset it when they open (every request opens its page), so nothing leaks into a
/// later request.
/// </summary>
codeunit 50124 "Scend Create Guard"
{
    Access = Internal;
    SingleInstance = true;

    var
        RepeatedHeaderIds: List of [Guid];

    procedure Reset()
    begin
        Clear(RepeatedHeaderIds);
    end;

    procedure MarkRepeated(HeaderId: Guid)
    begin
        if not RepeatedHeaderIds.Contains(HeaderId) then
            RepeatedHeaderIds.Add(HeaderId);
    end;

    procedure IsRepeated(HeaderId: Guid): Boolean
    begin
        exit(RepeatedHeaderIds.Contains(HeaderId));
    end;
}
