/// <summary>
/// Bound only while "Scend Shipment Post" runs Sales-Post: writes the confirmation's tracking, shipping agent
/// and Scend id on the posted shipment header, and leaves the order's own fields alone.
/// </summary>
codeunit 50121 "Scend Shipment Post Events"
{
    Access = Internal;
    EventSubscriberInstance = Manual;

    var
        ScendShipmentConfirmation: Record "Scend Shipment Confirmation";

    procedure SetConfirmation(NewScendShipmentConfirmation: Record "Scend Shipment Confirmation")
    begin
        ScendShipmentConfirmation := NewScendShipmentConfirmation;
    end;

    [EventSubscriber(ObjectType::Codeunit, Codeunit::"Sales-Post", OnBeforeSalesShptHeaderInsert, '', false, false)]
    local procedure SetTrackingOnBeforeSalesShptHeaderInsert(var SalesShptHeader: Record "Sales Shipment Header")
    begin
        SalesShptHeader."External Document No." := ScendShipmentConfirmation."Scend Shipment Id";
        if ScendShipmentConfirmation."Package Tracking No." <> '' then
            SalesShptHeader."Package Tracking No." := ScendShipmentConfirmation."Package Tracking No.";
        if ScendShipmentConfirmation."Shipping Agent Code" <> '' then
            SalesShptHeader."Shipping Agent Code" := ScendShipmentConfirmation."Shipping Agent Code";
        if ScendShipmentConfirmation."Shipping Agent Service Code" <> '' then
            SalesShptHeader."Shipping Agent Service Code" := ScendShipmentConfirmation."Shipping Agent Service Code";
    end;
}
