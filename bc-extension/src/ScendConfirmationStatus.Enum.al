enum 50130 "Scend Confirmation Status"
{
    Access = Public;
    Caption = 'Scend Confirmation Status';
    Extensible = false;

    value(0; Open)
    {
        Caption = 'Open';
    }
    value(1; Posted)
    {
        Caption = 'Posted';
    }
}
